import type { ContainerVolumes } from '../container/index.js';
import type { VolumeService } from '../volume/index.js';

/** The volume service seen through the small interface containers declare. */
export function containerVolumes(v: VolumeService): ContainerVolumes {
  return {
    async ensure(o) {
      const rec = o.name
        ? v.tryGet(o.name) ?? (await v.create({ Name: o.name, Labels: o.labels, DriverOpts: o.driverOpts }))
        : await v.createAnonymous();
      return { name: rec.Name, mountpoint: v.mountpointOf(rec.Name) };
    },
    acquire: (name, holder) => v.acquire(name, holder),
    release: (name, holder) => v.release(name, holder),
    isEmpty: (name) => v.isEmpty(name),
    remove: (name) => v.remove(name),
  };
}
