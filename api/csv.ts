/**
 * CSV for the finance exports (RFC 4180): CRLF line ends, a field quoted when it holds a comma, a
 * quote or a line break, quotes doubled inside. The file starts with a UTF-8 byte-order mark
 * because spreadsheet programs on Chinese Windows otherwise read the text as GBK.
 */
import { EXPORT_ROWS_MAX } from '../db/pagination';
import { DomainError } from '../domain/errors';
import { Readable } from 'node:stream';

export const UTF8_BOM = '\uFEFF';
const LINE_END = '\r\n';
const NEEDS_QUOTES = /[",\r\n]/;
/** Cells a spreadsheet would run as a formula (CSV injection); such text gets a leading `'`. */
const FORMULA_START = /^[=+\-@\t\r]/;

export type CsvCell = string | number | null;

/** One field: numbers as they are, text defused against formulas and quoted when it must be. */
export function csvField(value: CsvCell): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(cells: readonly CsvCell[]): string {
  return cells.map(csvField).join(',') + LINE_END;
}

/**
 * A readable CSV document: the BOM and header, then one line per row as the rows arrive. The
 * stream pulls the next row only when the client has taken the previous ones (backpressure), so a
 * long export holds one page of rows at a time.
 */
export function csvStream<T>(header: readonly string[], rows: AsyncIterable<T>, toCells: (row: T) => readonly CsvCell[]): Readable {
  async function* lines(): AsyncGenerator<string> {
    yield UTF8_BOM + csvLine(header);
    for await (const row of rows) yield csvLine(toCells(row));
  }
  return Readable.from(lines(), { objectMode: false });
}

/**
 * A finance export as an answer: a clean 422 `EXPORT_TOO_LARGE` when more rows match than one export
 * may hold (checked before the first byte, so a client never gets a file cut short), else the rows
 * streamed as CSV page by page as the client reads.
 */
export async function boundedCsvExport<T>(
  export_: { noun: string; tooLarge: Promise<boolean>; rows: () => AsyncIterable<T> },
  header: readonly string[],
  toCells: (row: T) => readonly CsvCell[],
) {
  if (await export_.tooLarge) {
    throw new DomainError('EXPORT_TOO_LARGE', `more than ${EXPORT_ROWS_MAX} ${export_.noun} match; narrow the date range`, { rowsMax: EXPORT_ROWS_MAX });
  }
  return { status: 200 as const, body: csvStream(header, export_.rows(), toCells), contentType: 'text/csv; charset=utf-8' };
}
