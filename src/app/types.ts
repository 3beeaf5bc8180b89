/**
 * The application layer's shared types (options, one layer's collected data),
 * apart from stage.ts so layer.ts and incidents.ts read them without an import
 * cycle through the stage.
 */
import type { SyncCall } from './call.js';
import type { DeviceTimeline } from './timeline.js';

export interface MountDecl {
  path: string;
  dev: string;
}

export interface AppOptions {
  /** --mount PATH=DEV: which traced device holds the files below PATH. */
  mounts?: MountDecl[];
}

export interface LayerData {
  name: string;
  calls: SyncCall[];
  dropped: number;
  devices: Map<number, DeviceTimeline>;
  comms: Map<number, string>;
}
