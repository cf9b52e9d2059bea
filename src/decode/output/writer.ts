// Batched stdout: output is collected into one string per input chunk and written
// in one call, with backpressure. A reader that goes away (`podpath decode big.pcap
// | head`) ends the run quietly instead of raising EPIPE.
import { once } from 'node:events';

export class BatchedWriter {
  private parts: string[] = [];
  private size = 0;
  /** Set when the reader closed the pipe: stop producing output. */
  closed = false;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') this.closed = true;
      else throw error;
    });
  }

  line(text: string): void {
    this.parts.push(text, '\n');
    this.size += text.length + 1;
  }

  get pending(): number {
    return this.size;
  }

  async flush(): Promise<void> {
    if (this.size === 0 || this.closed) {
      this.parts = [];
      this.size = 0;
      return;
    }
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!this.stream.write(text)) {
      await Promise.race([once(this.stream, 'drain'), once(this.stream, 'close'), once(this.stream, 'error').catch(() => undefined)]);
    }
  }
}
