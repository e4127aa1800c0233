/**
 * CSV downloads for the records and the statement. The export is fetched with the bearer token and
 * saved from a blob, rather than opened as a plain link with the session cookie: a refusal (422
 * `EXPORT_TOO_LARGE`, sent before the first row) then shows in words on the page instead of as a
 * failed download, and the session cookie stays accepted by the codec endpoint alone. An export is
 * at most 100,000 rows (a few tens of megabytes), which a tab holds without trouble.
 */
import { refusalOf, storedToken } from '../shared/api';

export async function downloadCsv(path: '/v1/payouts/export.csv' | '/v1/payout-account/statement.csv', query: Record<string, string | undefined>, fileName: string): Promise<void> {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value);
  const response = await fetch(url, { headers: { Authorization: `Bearer ${storedToken() ?? ''}` } });
  if (!response.ok) throw refusalOf(response, await response.json().catch(() => ({})));
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await response.blob());
  link.download = `${fileName}-${new Date().toISOString().slice(0, 10)}.csv`;
  link.click();
  // Revoked after the click has handed the blob to the download, not before.
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

/** China calendar days (yyyy-mm-dd, as date inputs give them) as the [from, to) instants the API takes. */
const DAY_MS = 86_400_000;

export function chinaDayStart(day: string, plusDays = 0): string {
  // China keeps no daylight saving time: every day starts at 00:00+08:00.
  return new Date(new Date(`${day}T00:00:00+08:00`).getTime() + plusDays * DAY_MS).toISOString();
}
