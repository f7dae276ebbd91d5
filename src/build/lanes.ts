/**
 * Output of stages built in parallel, printed as if they had run one after
 * another: the earliest unfinished stage writes through, later ones are held
 * back and flushed, in stage order, when the stages before them finish.
 */
export class OutputLanes {
  private readonly buffers = new Map<number, string[]>();
  private readonly done = new Set<number>();
  private head = 0;

  constructor(private readonly order: number[], private readonly write: (text: string) => void) {}

  /** The writer for the stage at position `pos` of the build order. */
  lane(pos: number): (text: string) => void {
    return (text) => {
      if (pos === this.head) this.write(text);
      else {
        const b = this.buffers.get(pos) ?? [];
        b.push(text);
        this.buffers.set(pos, b);
      }
    };
  }

  finish(pos: number): void {
    this.done.add(pos);
    while (this.done.has(this.head) && this.head < this.order.length) {
      this.head++;
      for (const t of this.buffers.get(this.head) ?? []) this.write(t);
      this.buffers.delete(this.head);
    }
  }
}
