/** The confirmation deadline counting down, once a second, in days, hours, minutes and seconds. */
import { useEffect, useState } from 'preact/hooks';

const SECOND_MS = 1_000;

export function remainingWords(remainingMs: number): string {
  if (remainingMs <= 0) return '已到期';
  const total = Math.floor(remainingMs / SECOND_MS);
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3_600);
  const minutes = Math.floor((total % 3_600) / 60);
  const seconds = total % 60;
  return `${days > 0 ? `${days}天` : ''}${hours}小时${minutes}分${seconds}秒`;
}

export function Countdown({ deadline, onEnded }: { deadline: string; onEnded: () => void }) {
  const end = new Date(deadline).getTime();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), SECOND_MS);
    return () => clearInterval(timer);
  }, []);
  const remaining = end - now;
  useEffect(() => {
    if (remaining <= 0) onEnded();
  }, [remaining <= 0]);
  return (
    <p>
      <span id="countdown-label">剩余确认时间：</span>
      {/* Read out on demand, not every second: a live region that ticks would drown a screen reader. */}
      <span class="countdown" aria-labelledby="countdown-label" role="timer" data-testid="countdown">{remainingWords(remaining)}</span>
    </p>
  );
}
