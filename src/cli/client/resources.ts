// The parts of CF v3 resources the CLI reads.
export interface Named {
  guid: string;
  name: string;
  created_at?: string;
}

export interface App extends Named {
  state: string;
}

export interface Task {
  guid: string;
  sequence_id: number;
  name: string;
  command?: string;
  state: string;
  /** taskd's own state (PAUSED shows here; CF's `state` says RUNNING). */
  taskd_state?: string;
  memory_in_mb: number;
  disk_in_mb: number;
  created_at: string;
  updated_at: string;
  result: { failure_reason: string | null };
  droplet_guid: string;
  progress?: { percent: number; message: string | null } | null;
  latest_message?: { text: string } | null;
  timeout_in_seconds?: number | null;
}

export interface Job {
  guid: string;
  state: 'PROCESSING' | 'POLLING' | 'COMPLETE' | 'FAILED';
  errors: { detail?: string }[];
}

export interface Droplet {
  guid: string;
  state: string;
}
