import { hostname, networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import { describeError } from './describe-error.js';

/** How the daemon looks at this board's network; the defaults are node:os. */
export interface HostFacts {
  networkInterfaces: typeof networkInterfaces;
  hostname: typeof hostname;
}

const OS_FACTS: HostFacts = { networkInterfaces, hostname };

/** The URL to open the viewer, and why it is less than ideal when it is (for a warning). */
export interface ViewerUrl {
  url: string;
  problem?: string;
}

/** `http://HOST:PORT/` as listened on, for the "listening" line (IPv6 in brackets). */
export function listeningUrl(scheme: 'http' | 'https', address: AddressInfo): string {
  return `${scheme}://${urlHost(address.address)}:${address.port}/`;
}

/**
 * The viewer URL with the first-run token, for a person to open from a phone: the listen address
 * when it is a specific one; for a wildcard, this board's LAN address, else its hostname. Listing
 * interfaces needs netlink, which a sandbox may forbid (`uv_interface_addresses … error 97`):
 * that is a problem to report, never a reason to stop.
 */
export function viewerUrl(scheme: 'http' | 'https', address: AddressInfo, token: string, facts: HostFacts = OS_FACTS): ViewerUrl {
  const query = `?token=${encodeURIComponent(token)}`;
  if (address.address !== '0.0.0.0' && address.address !== '::') {
    return { url: `${scheme}://${urlHost(address.address)}:${address.port}/${query}` };
  }
  let lan: string | undefined;
  let problem: string | undefined;
  try {
    lan = Object.values(facts.networkInterfaces())
      .flat()
      .find((entry) => entry !== undefined && entry.family === 'IPv4' && !entry.internal)?.address;
  } catch (error) {
    problem = `cannot list network interfaces (${describeError(error)}): the viewer URL names the hostname instead`;
  }
  return { url: `${scheme}://${urlHost(lan ?? facts.hostname())}:${address.port}/${query}`, ...(problem ? { problem } : {}) };
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
