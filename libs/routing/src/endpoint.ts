const ENDPOINT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?):([0-9]{1,5})$/;

/**
 * Whether `text` is a `host:port` endpoint: a host name or IPv4 address, or an IPv6 address in
 * brackets, and a port in 1..65535.
 */
export function isEndpoint(text: string): boolean {
  const match = ENDPOINT.exec(text);
  if (match === null) return false;
  const port = Number(match[1]);
  return port >= 1 && port <= 65_535;
}
