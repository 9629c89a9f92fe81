// A logger that keeps what it is told instead of printing it, so a passing run stays quiet and a test can
// assert on what a component logged. One helper for every test that captures a logger's output.

export interface CapturedLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

/** `lines` in order; `said()` the same as "level: message" strings; `logger` has the four LDLogger methods. */
export function captureLogger() {
  const lines: CapturedLine[] = [];
  const log = (level: CapturedLine['level']) => (message: unknown) => void lines.push({ level, message: String(message) });
  return {
    lines,
    said: () => lines.map((l) => `${l.level}: ${l.message}`),
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
  };
}
