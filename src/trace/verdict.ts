// What the client observes at the end of a path, in words: the one home of these words, used by
// the trace's text and JSON (`clientSees`), the UI and the explainer. A connected socket receives
// ICMP errors for its flow as errno (tcp_v4_err, __udp4_lib_err): that errno is `socketError`.
import type { IcmpAnswer, IcmpUnreachable, SocketError } from './model.ts';

export const CONNECTED = 'connected';
/** A datagram (UDP, ICMP) that reached its destination: whether it is answered is up to the application. */
export const DELIVERED = 'delivered';
export const NO_ANSWER = 'no answer';
export const CONNECTION_RESET = 'connection reset';
export const UNKNOWN = 'unknown';

const ICMP_CODE: Record<IcmpUnreachable, number> = {
  'net-unreachable': 0, 'host-unreachable': 1, 'port-unreachable': 3, 'fragmentation-needed': 4,
  'net-prohibited': 9, 'host-prohibited': 10, 'admin-prohibited': 13,
};

/** What the client's socket reports for each ICMP error (the kernel's icmp_err_convert; frag needed → EMSGSIZE with PMTU discovery). */
const ICMP_ERRNO: Record<IcmpUnreachable, SocketError> = {
  'net-unreachable': 'ENETUNREACH', 'host-unreachable': 'EHOSTUNREACH', 'port-unreachable': 'ECONNREFUSED',
  'fragmentation-needed': 'EMSGSIZE', 'net-prohibited': 'ENETUNREACH', 'host-prohibited': 'EHOSTUNREACH', 'admin-prohibited': 'EHOSTUNREACH',
};

const ERRNO_TEXT: Record<SocketError, string> = {
  EMSGSIZE: 'message too long', EHOSTUNREACH: 'no route to host', ENETUNREACH: 'network is unreachable',
  ECONNREFUSED: 'connection refused', ECONNRESET: 'connection reset by peer', EACCES: 'permission denied',
  EINVAL: 'invalid argument', EPERM: 'operation not permitted',
};

export function icmpAnswer(kind: IcmpUnreachable, src: string, sentBy: string, extra: { mtu?: number; afterSeconds?: number } = {}): IcmpAnswer {
  return { type: 3, code: ICMP_CODE[kind], kind, src, sentBy, ...extra };
}

/** 'icmp fragmentation needed (mtu 1450)', 'icmp host unreachable' — as tcpdump names them, without the dashes. */
export function icmpWords(answer: Pick<IcmpAnswer, 'kind' | 'mtu'>): string {
  const words = `icmp ${answer.kind.replace('-', ' ')}`;
  return answer.kind === 'fragmentation-needed' && answer.mtu !== undefined ? `${words} (mtu ${answer.mtu})` : words;
}

export function errnoOfIcmp(kind: IcmpUnreachable): SocketError {
  return ICMP_ERRNO[kind];
}

/** 'message too long (EMSGSIZE)': strerror's words, then the errno's name. */
export function socketErrorWords(error: SocketError): string {
  return `${ERRNO_TEXT[error]} (${error})`;
}

/** The name of an ICMP destination-unreachable code, when it is one podpath's paths end in. */
export function icmpKindOf(type: number, code: number): IcmpUnreachable | undefined {
  if (type !== 3) return undefined;
  return (Object.keys(ICMP_CODE) as IcmpUnreachable[]).find((kind) => ICMP_CODE[kind] === code);
}

/** Why host unreachable comes late: the neighbour's 3 unanswered ARP probes, 1 s apart (neighbour-unresolved). */
export const AFTER_ARP_TIMEOUT = 'after the ARP timeout';

/**
 * What the client gets, as one phrase: icmpWords, and for the error the kernel sends once ARP
 * gave up, 'icmp host unreachable after the ARP timeout'.
 */
export function answerWords(answer: Pick<IcmpAnswer, 'kind' | 'mtu' | 'afterSeconds'>): string {
  return answer.afterSeconds !== undefined ? `${icmpWords(answer)} ${AFTER_ARP_TIMEOUT}` : icmpWords(answer);
}
