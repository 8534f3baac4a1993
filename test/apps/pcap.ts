/**
 * Test helper: reads the file `tcpdump -w` writes (the classic pcap format, Ethernet frames as Linux shows the
 * loopback interface) into TCP flows, each the payload bytes one side sent, in capture order, so a test can ask
 * what crossed between two machines. New, not in WeApRous. IPv4 only; not a general pcap library.
 */

/** The bytes one side of a TCP connection sent: `127.0.0.1:40112 > 127.0.0.3:5002`. */
export interface Flow {
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  bytes: Buffer;
}

const LINKTYPE_ETHERNET = 1;
const ETHERTYPE_IPV4 = 0x0800;
const IP_PROTOCOL_TCP = 6;

/** The TCP flows in a pcap file's bytes; a retransmitted segment would appear twice, which no check here minds. */
export function readFlows(file: Buffer): Flow[] {
  const magic = [0xa1b2c3d4, 0xa1b23c4d]; // time stamps in microseconds or in nanoseconds; written in either byte order
  const little = magic.includes(file.readUInt32LE(0));
  if (!little && !magic.includes(file.readUInt32BE(0))) throw new Error('Not a pcap file (tcpdump -w writes one)');
  const u32 = (at: number) => (little ? file.readUInt32LE(at) : file.readUInt32BE(at));
  if (u32(20) !== LINKTYPE_ETHERNET) throw new Error(`Link type ${u32(20)}: capture with -i lo (Ethernet frames)`);
  const flows = new Map<string, { flow: Flow; parts: Buffer[] }>();
  for (let at = 24; at + 16 <= file.length;) {
    const length = u32(at + 8); // the captured length (record header: seconds, fraction, captured, original)
    const frame = file.subarray(at + 16, at + 16 + length);
    at += 16 + length;
    const segment = tcpSegment(frame);
    if (!segment || segment.payload.length === 0) continue;
    const key = `${segment.src}:${segment.srcPort}>${segment.dst}:${segment.dstPort}`;
    let entry = flows.get(key);
    if (!entry) {
      const { src, srcPort, dst, dstPort } = segment;
      entry = { flow: { src, srcPort, dst, dstPort, bytes: Buffer.alloc(0) }, parts: [] };
      flows.set(key, entry);
    }
    entry.parts.push(segment.payload);
  }
  return [...flows.values()].map(({ flow, parts }) => ({ ...flow, bytes: Buffer.concat(parts) }));
}

/** One Ethernet frame's IPv4 and TCP headers and payload, or null for anything else (ARP, IPv6, UDP). */
function tcpSegment(frame: Buffer): (Omit<Flow, 'bytes'> & { payload: Buffer }) | null {
  if (frame.length < 14 + 20 || frame.readUInt16BE(12) !== ETHERTYPE_IPV4) return null;
  const ip = frame.subarray(14);
  if (ip[9] !== IP_PROTOCOL_TCP) return null;
  const ipHeader = (ip[0] & 0x0f) * 4; // RFC 791 §3.1: IHL, in 32-bit words
  const total = ip.readUInt16BE(2); // the frame may carry Ethernet padding past the IP packet
  const tcp = ip.subarray(ipHeader, total);
  const tcpHeader = (tcp[12] >> 4) * 4; // RFC 9293 §3.1: Data Offset, in 32-bit words
  return {
    src: [...ip.subarray(12, 16)].join('.'),
    dst: [...ip.subarray(16, 20)].join('.'),
    srcPort: tcp.readUInt16BE(0),
    dstPort: tcp.readUInt16BE(2),
    payload: tcp.subarray(tcpHeader),
  };
}
