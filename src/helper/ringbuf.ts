// Ring buffer positions from user space: the consumer position is the first word of the map's
// first page, the producer position the first word of the second page (the same numbers
// bpf_ringbuf_query() reports inside BPF). Mapped read-only, so we never move the consumer.
import type { RingbufResult } from '../protocol/types';
import { MapType, mapTypeName } from '../protocol/names';
import { HelperError } from './errors';
import * as L from './libbpf';

export function ringbufPositions(fd: number, info: L.MapInfo): RingbufResult {
  if (info.type !== MapType.RINGBUF && info.type !== MapType.USER_RINGBUF) {
    throw new HelperError('INVALID_PARAMS', `map ${info.id} (${info.name}) is a ${mapTypeName(info.type)} map, not a ring buffer`);
  }
  const pages = L.mmapRead(fd, 2 * L.PAGE_SIZE, 0);
  const consumerPos = Number(pages.readBigUInt64LE(0));
  const producerPos = Number(pages.readBigUInt64LE(L.PAGE_SIZE));
  return { consumerPos, producerPos, size: info.max_entries, available: producerPos - consumerPos };
}
