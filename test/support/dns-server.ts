/**
 * A real authoritative DNS server on the loopback for tests (UDP and TCP on one port, dns-packet
 * for the wire format): tests publish records (A, AAAA, MX, TXT, CNAME, PTR, NS), point the
 * code under test at it (`STRATO_DNS_SERVERS=127.0.0.1:<port>` or a NodeDnsResolver), and can make
 * a name answer SERVFAIL or not answer at all. Unknown names answer NXDOMAIN; a known name without
 * records of the asked type answers NOERROR with no records. A CNAME is followed once.
 * Every query is recorded in `queries`.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer, type Packet } from 'dns-packet';

export type TestRecordType = 'A' | 'AAAA' | 'MX' | 'TXT' | 'CNAME' | 'PTR' | 'NS';

export type TestRecord =
  | { name: string; type: 'A' | 'AAAA' | 'CNAME' | 'PTR' | 'NS'; data: string; ttl?: number }
  | { name: string; type: 'MX'; data: { preference: number; exchange: string }; ttl?: number }
  /** TXT: a string longer than 255 octets is split into character-strings, as zone files do. */
  | { name: string; type: 'TXT'; data: string | string[]; ttl?: number };

export type Failure = 'SERVFAIL' | 'timeout';

const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 } as const;
const AA_RA = (1 << 10) | (1 << 7);

const norm = (name: string) => name.toLowerCase().replace(/\.$/, '');

/** Split a TXT value into ≤255-octet character-strings. */
function txtChunks(data: string | string[]): Buffer[] {
  if (Array.isArray(data)) return data.map((s) => Buffer.from(s));
  const bytes = Buffer.from(data);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 255) chunks.push(bytes.subarray(i, i + 255));
  return chunks.length ? chunks : [Buffer.alloc(0)];
}

export class TestDnsServer {
  readonly queries: { name: string; type: string }[] = [];
  private readonly records: TestRecord[] = [];
  private readonly failures = new Map<string, Failure>();
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  port = 0;
  readonly host = '127.0.0.1';

  /** `host:port` for STRATO_DNS_SERVERS / Resolver.setServers. */
  get server(): string {
    return `${this.host}:${this.port}`;
  }

  add(...records: TestRecord[]): this {
    this.records.push(...records);
    return this;
  }

  /** Remove every record of `name` (of `type` only, when given). */
  remove(name: string, type?: TestRecordType): this {
    for (let i = this.records.length - 1; i >= 0; i--) {
      const r = this.records[i] as TestRecord;
      if (norm(r.name) === norm(name) && (!type || r.type === type)) this.records.splice(i, 1);
    }
    return this;
  }

  /** Make every query for `name` fail (until `heal`). */
  fail(name: string, how: Failure): this {
    this.failures.set(norm(name), how);
    return this;
  }

  heal(name: string): this {
    this.failures.delete(norm(name));
    return this;
  }

  async start(): Promise<this> {
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, this.host, () => resolve());
    });
    this.port = udp.address().port;
    udp.on('message', (msg, rinfo) => {
      const reply = this.answer(msg);
      if (reply) udp.send(reply, rinfo.port, rinfo.address);
    });
    const tcp = net.createServer((socket) => this.serveTcp(socket));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(this.port, this.host, () => resolve());
    });
    this.udp = udp;
    this.tcp = tcp;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.udp ? this.udp.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (this.tcp ? this.tcp.close(() => resolve()) : resolve()));
  }

  private serveTcp(socket: net.Socket): void {
    let buffered = Buffer.alloc(0);
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const length = buffered.readUInt16BE(0);
        const reply = this.answer(buffered.subarray(2, 2 + length));
        buffered = buffered.subarray(2 + length);
        if (reply) {
          const framed = Buffer.alloc(2 + reply.length);
          framed.writeUInt16BE(reply.length, 0);
          reply.copy(framed, 2);
          socket.write(framed);
        }
      }
    });
  }

  /** The encoded reply to one query, or undefined to stay silent (a timeout). */
  private answer(msg: Buffer): Buffer | undefined {
    let query: Packet;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return undefined;
    }
    const question = query.questions?.[0];
    if (!question) return undefined;
    this.queries.push({ name: norm(question.name), type: question.type });
    const failure = this.failures.get(norm(question.name));
    if (failure === 'timeout') return undefined;
    const { rcode, answers } =
      failure === 'SERVFAIL'
        ? { rcode: RCODE.SERVFAIL, answers: [] }
        : this.lookup(question.name, question.type);
    return dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      flags: AA_RA | ((query.flags ?? 0) & (1 << 8)) | rcode,
      questions: [question],
      answers,
    });
  }

  private lookup(name: string, type: string): { rcode: number; answers: Answer[] } {
    const named = this.records.filter((r) => norm(r.name) === norm(name));
    if (named.length === 0) return { rcode: RCODE.NXDOMAIN, answers: [] };
    const exact = named.filter((r) => r.type === type);
    if (exact.length > 0) return { rcode: RCODE.NOERROR, answers: exact.map((r) => this.toAnswer(r, name)) };
    const cname = named.find((r) => r.type === 'CNAME');
    if (cname && typeof cname.data === 'string') {
      const target = this.records.filter(
        (r) => norm(r.name) === norm(cname.data as string) && r.type === type,
      );
      return {
        rcode: RCODE.NOERROR,
        answers: [this.toAnswer(cname, name), ...target.map((r) => this.toAnswer(r, r.name))],
      };
    }
    return { rcode: RCODE.NOERROR, answers: [] };
  }

  private toAnswer(record: TestRecord, name: string): Answer {
    const base = { name, ttl: record.ttl ?? 300, class: 'IN' as const };
    if (record.type === 'TXT') return { ...base, type: 'TXT', data: txtChunks(record.data) };
    if (record.type === 'MX') return { ...base, type: 'MX', data: record.data };
    return { ...base, type: record.type, data: record.data } as Answer;
  }
}

/** Start a server with `records` published. */
export async function startDnsServer(...records: TestRecord[]): Promise<TestDnsServer> {
  return new TestDnsServer().add(...records).start();
}
