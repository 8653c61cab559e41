// Test input for the XDP examples: what packet_counter.bpf.c counts is one entry per IPv4 source.

/** An Ethernet + IPv4/UDP frame from `source` (host order, e.g. 0x0a000001 = 10.0.0.1), 64 bytes, base64. */
export function ipv4Frame(source: number): string {
  const f = Buffer.alloc(64);
  f.writeUInt16BE(0x0800, 12); // EtherType IPv4
  f[14] = 0x45; // version 4, IHL 5
  f.writeUInt16BE(50, 16); // total length
  f[22] = 64; // TTL
  f[23] = 17; // UDP
  f.writeUInt32BE(source >>> 0, 26); // source address
  f.writeUInt32BE(0x0a0000fe, 30); // destination 10.0.0.254
  return f.toString('base64');
}
