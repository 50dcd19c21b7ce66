// Presents task output lines as loggregator v2 envelopes in log cache's JSON (protojson with the
// proto field names, as its gateway marshals them and the cf CLI's jsonpb reads them: any field
// not in the Envelope message would fail the CLI's read). The cf CLI shows each as
// `[APP/TASK/<task name>/0] OUT <line>`.
import type { AppLogLine } from '../../fetchers/app-log-lines.js';

export interface LogEnvelope {
  timestamp: string;
  source_id: string;
  instance_id: string;
  deprecated_tags: Record<string, never>;
  tags: { source_type: string };
  log: { payload: string; type: 'OUT' | 'ERR' };
}

export function presentLogEnvelope(sourceId: string, line: AppLogLine): LogEnvelope {
  return {
    // int64 is a string in protobuf's JSON.
    timestamp: line.timestamp.toString(),
    source_id: sourceId,
    instance_id: '0',
    deprecated_tags: {},
    tags: { source_type: `APP/TASK/${line.taskName}` },
    log: { payload: Buffer.from(line.text, 'utf8').toString('base64'), type: line.stream === 'stderr' ? 'ERR' : 'OUT' },
  };
}

export function presentReadResponse(sourceId: string, lines: AppLogLine[]) {
  return { envelopes: { batch: lines.map((l) => presentLogEnvelope(sourceId, l)) } };
}
