// Turns generated token ids into text deltas: stop strings end the text (and are not part of it), a partial stop
// string or an incomplete UTF-8 sequence is held back until it resolves.
import type { TextTokenizer } from './tokenizer.js';

export class TextTracker {
  readonly ids: number[] = [];
  private emitted = 0;
  private text = '';
  /** Set when a stop string was found: the final text ends before it. */
  stopped = false;

  constructor(
    private readonly tokenizer: TextTokenizer,
    private readonly stops: readonly string[],
  ) {}

  /** Add one token; returns the new text that is safe to show. */
  push(id: number): string {
    this.ids.push(id);
    this.text = this.tokenizer.decode(this.ids);
    let end = this.text.length;
    let earliest = -1;
    for (const s of this.stops) {
      const i = this.text.indexOf(s);
      if (i >= 0 && (earliest < 0 || i < earliest)) earliest = i;
    }
    if (earliest >= 0) {
      this.stopped = true;
      this.text = this.text.slice(0, earliest);
      return this.take(this.text.length);
    }
    while (end > 0 && this.text.charCodeAt(end - 1) === 0xfffd) end--;
    let hold = 0;
    for (const s of this.stops) {
      for (let k = Math.min(s.length - 1, end); k > hold; k--) {
        if (this.text.slice(end - k, end) === s.slice(0, k)) {
          hold = k;
          break;
        }
      }
    }
    return this.take(end - hold);
  }

  private take(end: number): string {
    if (end <= this.emitted) return '';
    const delta = this.text.slice(this.emitted, end);
    this.emitted = end;
    return delta;
  }

  /** Whatever was held back, at the end of generation. */
  flush(): string {
    return this.take(this.text.length);
  }

  get fullText(): string {
    return this.text;
  }
}
