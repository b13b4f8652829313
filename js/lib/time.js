/**
 * Times on screen. The service sends Unix seconds from its own clock; `clock_offset`
 * (service minus kernel clock, see docs/views.md) turns the browser's clock into it.
 */

const pad2 = (n) => String(n).padStart(2, "0");

/**
 * "Now" on the service's clock, in Unix seconds.
 * @param {number} [offset] the `clock_offset` trait (seconds)
 * @returns {number}
 */
export function serviceNow(offset = 0) {
  return Date.now() / 1000 + (Number.isFinite(offset) ? offset : 0);
}

/**
 * Local wall-clock time of a Unix time, as "12:03" (24 h, so it reads the same in every
 * locale and keeps a chat column narrow).
 * @param {number} unixSeconds
 * @returns {string}
 */
export function clockTime(unixSeconds) {
  const d = new Date(unixSeconds * 1000);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/**
 * The full local date and time, for a tooltip.
 * @param {number} unixSeconds
 * @returns {string}
 */
export function fullTime(unixSeconds) {
  return new Date(unixSeconds * 1000).toLocaleString();
}

/**
 * A duration as "4:05" or "1:02:03". Rounded up, so a countdown shows 0:01 until the
 * last second has passed, and never goes negative.
 * @param {number} seconds
 * @returns {string}
 */
export function formatDuration(seconds) {
  const total = Math.max(0, Math.ceil(seconds - 1e-6));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${pad2(m)}:${pad2(s)}` : `${m}:${pad2(s)}`;
}

/**
 * "4:05 left" (or "0:00 left" once time is up: the service closes the rooms itself).
 * @param {number} seconds
 * @returns {string}
 */
export function timeLeft(seconds) {
  return `${formatDuration(seconds)} left`;
}

/**
 * How long ago: "just now", "2 min ago", "3 h ago", "2 days ago".
 * @param {number} thenSeconds
 * @param {number} nowSeconds
 * @returns {string}
 */
export function ago(thenSeconds, nowSeconds) {
  const s = Math.max(0, nowSeconds - thenSeconds);
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  const days = Math.floor(s / 86400);
  return days === 1 ? "1 day ago" : `${days} days ago`;
}

/**
 * A repeating timer that runs only while something needs it (a running breakout), so an
 * idle notebook does no work. `set(period)` starts it or changes its period; `set(0)`
 * stops it. `stop()` belongs in the view's cleanup.
 * @param {() => void} onTick
 * @returns {{set(periodMs: number): void, stop(): void, readonly period: number}}
 */
export function createTicker(onTick) {
  let handle = null;
  let period = 0;
  const stop = () => {
    if (handle !== null) clearInterval(handle);
    handle = null;
    period = 0;
  };
  return {
    set(periodMs) {
      if (periodMs === period) return;
      stop();
      if (periodMs > 0) {
        period = periodMs;
        handle = setInterval(onTick, periodMs);
      }
    },
    stop,
    get period() {
      return period;
    },
  };
}
