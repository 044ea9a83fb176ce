import { readdirSync, readFileSync } from 'node:fs';

/** Process ids of the children of `parentPid` whose command name is `name`, read from /proc. */
export function childPids(parentPid: number, name: string): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(afterName[1]) === parentPid && stat.includes(`(${name})`)) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}
