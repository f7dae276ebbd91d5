/**
 * Reads the first JSON object from a stream that may never end (dockerode keeps
 * an exec or attach request open as stdin), and puts back whatever followed it.
 * With `length` (the request's Content-Length, on an upgraded connection whose
 * bytes go on as stdin) exactly that many bytes are the body. An empty stream
 * gives undefined.
 */
export async function readFirstJson(input: NodeJS.ReadableStream, length?: number): Promise<unknown> {
  if (length === 0) return undefined;
  let buf = Buffer.alloc(0);
  const stream = input as NodeJS.ReadableStream & { unshift(chunk: Buffer): void; readableEnded?: boolean };
  if (stream.readableEnded) return undefined;
  return new Promise((resolve, reject) => {
    const done = (value: unknown, rest?: Buffer) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.pause();
      if (rest && rest.length) stream.unshift(rest);
      resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      buf = Buffer.concat([buf, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
      const end = length !== undefined ? (buf.length >= length ? length : -1) : objectEnd(buf);
      if (end === -2) return reject(new Error('request body is not a JSON object'));
      if (end < 0) return;
      try {
        done(JSON.parse(buf.subarray(0, end).toString('utf8')), buf.subarray(end));
      } catch (err) {
        reject(err);
      }
    };
    const onEnd = () => {
      const text = buf.toString('utf8').trim();
      if (text === '') return done(undefined);
      try {
        done(JSON.parse(text));
      } catch (err) {
        reject(err);
      }
    };
    const onError = (err: Error) => reject(err);
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.resume();
  });
}

/** The index just past the first complete top-level object; -1 if incomplete; -2 if it does not start with `{`. */
function objectEnd(buf: Buffer): number {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let started = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (!started) {
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
      if (c !== 0x7b) return -2;
      started = true;
    }
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}
