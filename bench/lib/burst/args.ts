import { CONTENDERS, type ContenderName } from './types.js';

/** "100,1000" → [100, 1000]; rejects anything but positive integers, naming the flag. */
export function parsePositiveInts(flag: string, text: string | undefined): number[] {
  const parts = (text ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) throw new Error(`${flag}: expected a comma-separated list of positive integers`);
  return parts.map((p) => {
    if (!/^\d+$/.test(p) || Number(p) < 1) throw new Error(`${flag}: ${JSON.stringify(p)} is not a positive integer`);
    return Number(p);
  });
}

/** "peer,floor" → the contenders in that order, each known and at most once. */
export function parseContenders(text: string | undefined): ContenderName[] {
  const names = (text ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const out: ContenderName[] = [];
  for (const n of names) {
    if (!(CONTENDERS as readonly string[]).includes(n)) throw new Error(`--contenders: unknown contender ${JSON.stringify(n)} (known: ${CONTENDERS.join(', ')})`);
    if (!out.includes(n as ContenderName)) out.push(n as ContenderName);
  }
  if (out.length === 0) throw new Error('--contenders: none given');
  return out;
}
