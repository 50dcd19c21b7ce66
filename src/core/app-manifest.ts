// One application of a manifest, as taskd honours it (api/cf/messages/manifest.ts reads it):
// what applying it sets (actions/manifest.ts) and what a diff compares (fetchers/manifest-diff.ts).
export interface AppManifest {
  name: string;
  buildpacks?: string[];
  stack?: string;
  env?: Record<string, string>;
  memoryInMb?: number;
  diskInMb?: number;
  command?: string;
}
