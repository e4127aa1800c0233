/** Form fields of the console: amounts typed in yuan and sent as fen, and the lists' filters. */
import { useState } from 'preact/hooks';
import { parseYuan } from '../shared/money';

let fieldSequence = 0;

/** A stable id per field instance, so every input has its label. */
export function useFieldId(prefix: string): string {
  const [id] = useState(() => `${prefix}-${(fieldSequence += 1)}`);
  return id;
}

export function YuanField({ label, value, onInput, required = true, hint }: { label: string; value: string; onInput: (text: string) => void; required?: boolean; hint?: string }) {
  const id = useFieldId('yuan');
  const invalid = value.trim() !== '' && parseYuan(value) === null;
  return (
    <div class="field">
      <label for={id}>{label}（元）</label>
      <input id={id} inputMode="decimal" value={value} required={required} aria-invalid={invalid} aria-describedby={hint || invalid ? `${id}-hint` : undefined}
        onInput={(e) => onInput(e.currentTarget.value)} placeholder="0.00" />
      {(hint || invalid) && <span id={`${id}-hint`} class={invalid ? 'error' : 'hint'}>{invalid ? '请输入金额，最多两位小数' : hint}</span>}
    </div>
  );
}

/** A list's filter on one of `words`' codes, or on none (全部, the empty value). */
export function WordsFilter({ id, label, words, value, onChange }: { id: string; label: string; words: Record<string, string>; value: string; onChange: (e: Event) => void }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={onChange}>
        <option value="">全部</option>
        {Object.entries(words).map(([code, text]) => <option key={code} value={code}>{text}</option>)}
      </select>
    </div>
  );
}

export function CountField({ label, value, onInput }: { label: string; value: string; onInput: (text: string) => void }) {
  const id = useFieldId('count');
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} inputMode="numeric" pattern="[0-9]+" value={value} required onInput={(e) => onInput(e.currentTarget.value)} />
    </div>
  );
}

/** Fen from a yuan field, or an error in words naming the field. */
export function fenOf(label: string, text: string): number {
  const fen = parseYuan(text);
  if (fen === null) throw new Error(`${label}：请输入金额，最多两位小数`);
  return fen;
}

export function countOf(label: string, text: string): number {
  if (!/^\d{1,10}$/.test(text.trim())) throw new Error(`${label}：请输入整数`);
  return Number(text.trim());
}
