/** The fault run's HTTP client: bounded retries on network errors, 5xx and 429, as a careful client would. */

export interface Answer {
  status: number;
  body: { error?: { code: string; [k: string]: unknown }; [k: string]: unknown };
}

/** Attempts per request; with the backoff below, a request keeps trying for about a minute. */
const ATTEMPTS_MAX = 40;
const BACKOFF_MS_MIN = 200;
const BACKOFF_MS_MAX = 2_000;
const REQUEST_TIMEOUT_MS = 20_000;

export class ChaosClient {
  retries = 0;

  /** Past `deadline` (epoch ms) a request is sent once more at most, never retried: the run is ending. */
  constructor(
    private readonly baseUrl: string,
    private readonly deadline = Infinity,
  ) {}

  /** Sends until an answer that is not a transient failure arrives, or the attempts or the time run out. */
  async send(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    let last: Answer = { status: 0, body: { error: { code: 'NO_ANSWER' } } };
    for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
      if (attempt > 0) {
        if (Date.now() >= this.deadline) break;
        this.retries++;
        await sleep(Math.min(BACKOFF_MS_MAX, BACKOFF_MS_MIN * 2 ** Math.min(attempt, 4)) * (0.5 + Math.random()));
      }
      try {
        const res = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        last = { status: res.status, body: (await res.json().catch(() => ({}))) as Answer['body'] };
        if (res.status < 500 && res.status !== 429) return last;
      } catch {
        last = { status: 0, body: { error: { code: 'NETWORK' } } };
      }
    }
    return last;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
