/** docker's FromHumanSize (go-units): `10m` is 10,000,000 bytes; decimal multiples. Undefined when malformed. */
export function humanSizeBytes(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(value.trim());
  if (!match) return undefined;
  const power = ' kmgtp'.indexOf(match[2].toLowerCase() || ' ');
  return Math.floor(Number(match[1]) * 1000 ** power);
}

/** docker's RAMInBytes (go-units): `512m`, `1.5g`, `10GB`, `100` (bytes); binary multiples. Undefined when malformed. */
export function ramInBytes(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(value.trim());
  if (!match) return undefined;
  const power = ' kmgtp'.indexOf(match[2].toLowerCase() || ' ');
  return Math.floor(Number(match[1]) * 1024 ** power);
}
