import type { Launcher } from './launcher.js';
import type { ContainerRuntime } from './ports.js';
import { type ContainerRecord, isRunningStatus } from './record.js';
import type { ContainerRepository } from './repository.js';
import type { RestartPolicies } from './restart.js';
import type { HealthMonitor } from './health.js';

export interface RecoveryDeps {
  repo: ContainerRepository;
  runtime: ContainerRuntime;
  launcher: Launcher;
  restarts: RestartPolicies;
  health: HealthMonitor;
  recordExit: (rec: ContainerRecord, exitCode: number) => Promise<void>;
  remove: (id: string) => Promise<void>;
}

/**
 * After a daemon restart (or crash), brings every record in line with what
 * really runs: containers whose monitor still runs are running; those whose
 * exit file appeared are exited with that code; those whose monitor vanished
 * without an exit file are exited with 255; removals cut short are finished;
 * preparations of never-started containers are undone; restart policies and
 * healthchecks go on where they were.
 */
export async function recoverContainers(d: RecoveryDeps): Promise<void> {
  for (const rec of d.repo.all()) {
    if (rec.state.status === 'removing') {
      const moved = await d.repo.remove(rec);
      await d.launcher.destroy(rec, moved).catch(() => undefined);
      d.repo.purge(moved);
      continue;
    }
    if (rec.state.status === 'created') {
      const probe = await d.runtime.probe(rec.id);
      if (probe.conmonAlive) await d.runtime.delete(rec.id, rec.runtime, { force: true }).catch(() => undefined);
      continue;
    }
    if (!isRunningStatus(rec.state.status) || rec.state.status === 'restarting') {
      if (rec.hostConfig.AutoRemove && rec.state.status === 'exited') await d.remove(rec.id).catch(() => undefined);
      else d.restarts.recovered(rec);
      continue;
    }
    const probe = await d.runtime.probe(rec.id);
    if (probe.exitCode !== null) {
      await d.recordExit(rec, probe.exitCode);
    } else if (!probe.conmonAlive) {
      rec.state.error = 'container monitor exited while the daemon was down';
      await d.recordExit(rec, 255);
    } else {
      d.launcher.adopt(rec);
      if (rec.state.status === 'running') d.health.resumed(rec);
    }
  }
}
