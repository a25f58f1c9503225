import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

// Keeps the processes of `npm start` and `npm run start:cluster` running: a child that stops on its
// own is started again after a back-off that grows while it keeps failing, with one line saying so;
// a child that keeps failing is reported once, in one line with its log file; nothing else is
// stopped because one child died (the status server keeps serving its last snapshot whatever
// happens to the rest). stopAll() stops every child in reverse order of its stage, and starts none.

export interface ChildSpec {
  /** Short name used in every line about it, e.g. `api`, `worker-2`, `temporal-history`. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr are appended here (opened anew at each start). */
  logFile: string;
  /** Run as this user (PostgreSQL refuses to run as root). */
  uid?: number;
  gid?: number;
  /** Children stop in descending stage order; the same stage stops together. Default 0. */
  stage?: number;
  /** Signal that asks the child to stop (PostgreSQL: SIGINT, its fast shutdown). Default SIGTERM. */
  stopSignal?: NodeJS.Signals;
  /** SIGKILL after this long (default 10 s). */
  stopTimeoutMs?: number;
}

export interface SupervisorOptions {
  /** One line per event (restarts, a child that keeps failing, recovery). */
  log: (line: string) => void;
  /** First restart delay (default 500 ms); doubled per consecutive failure up to maxBackoffMs (default 30 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A child up this long counts as healthy again: its back-off starts over (default 30 s). */
  healthyAfterMs?: number;
  /** This many consecutive failures make the one line "keeps stopping" (default 5). */
  reportAfterFailures?: number;
  /** Where the current pid of every child is kept as JSON ({name: pid}), for operators and tests. */
  pidFile?: string;
}

export interface Supervised {
  readonly spec: ChildSpec;
  /** The running process, if any (undefined while it waits to be restarted). */
  readonly process: ChildProcess | undefined;
  readonly restarts: number;
  /** Resolves with the next process started for this child after `afterPid` (or the current one). */
  nextStart(afterPid?: number): Promise<ChildProcess>;
}

interface Entry extends Supervised {
  spec: ChildSpec;
  process: ChildProcess | undefined;
  restarts: number;
  failures: number;
  firstFailureAt: number;
  reported: boolean;
  startedAt: number;
  timer?: NodeJS.Timeout;
  healthyTimer?: NodeJS.Timeout;
  waiters: { afterPid?: number; resolve: (p: ChildProcess) => void }[];
}

export class Supervisor {
  private readonly entries: Entry[] = [];
  private stopping = false;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly healthyAfterMs: number;
  private readonly reportAfterFailures: number;

  constructor(private readonly options: SupervisorOptions) {
    this.initialBackoffMs = options.initialBackoffMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.healthyAfterMs = options.healthyAfterMs ?? 30_000;
    this.reportAfterFailures = options.reportAfterFailures ?? 5;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Starts a child and keeps it running until stopAll(). */
  start(spec: ChildSpec): Supervised {
    if (this.stopping) throw new Error(`cannot start ${spec.name}: stopping`);
    if (this.entries.some((e) => e.spec.name === spec.name)) throw new Error(`a child named ${spec.name} is already supervised`);
    const entry: Entry = {
      spec,
      process: undefined,
      restarts: 0,
      failures: 0,
      firstFailureAt: 0,
      reported: false,
      startedAt: 0,
      waiters: [],
      nextStart: (afterPid) =>
        new Promise((resolve) => {
          if (entry.process?.pid !== undefined && entry.process.pid !== afterPid && entry.process.exitCode === null)
            return resolve(entry.process);
          entry.waiters.push({ afterPid, resolve });
        }),
    };
    this.entries.push(entry);
    this.launch(entry);
    return entry;
  }

  child(name: string): Supervised | undefined {
    return this.entries.find((e) => e.spec.name === name);
  }

  /** Every supervised child with its current pid (undefined while waiting for a restart). */
  pids(): Record<string, number | undefined> {
    return Object.fromEntries(this.entries.map((e) => [e.spec.name, e.process?.pid]));
  }

  /** Stops every child, highest stage first (the same stage together); restarts nothing from now on. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const e of this.entries) {
      clearTimeout(e.timer);
      clearTimeout(e.healthyTimer);
    }
    const stages = [...new Set(this.entries.map((e) => e.spec.stage ?? 0))].sort((a, b) => b - a);
    for (const stage of stages) {
      await Promise.all(this.entries.filter((e) => (e.spec.stage ?? 0) === stage).map((e) => stopChild(e)));
    }
    this.writePids();
  }

  private launch(entry: Entry): void {
    const { spec } = entry;
    mkdirSync(dirname(spec.logFile), { recursive: true });
    const fd = openSync(spec.logFile, 'a', 0o600);
    let proc: ChildProcess;
    try {
      proc = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: spec.env ?? process.env,
        stdio: ['ignore', fd, fd],
        uid: spec.uid,
        gid: spec.gid,
      });
    } finally {
      closeSync(fd);
    }
    entry.process = proc;
    entry.startedAt = Date.now();
    let ended = false;
    const onEnd = (why: string) => {
      if (ended) return;
      ended = true;
      clearTimeout(entry.healthyTimer);
      if (entry.process === proc) entry.process = undefined;
      if (this.stopping) return;
      this.writePids();
      this.failed(entry, why);
    };
    proc.once('exit', (code, signal) => onEnd(signal ?? `exit code ${code}`));
    proc.once('error', (err) => onEnd(err.message));
    if (proc.pid !== undefined) {
      this.writePids();
      for (const w of entry.waiters.splice(0)) {
        if (w.afterPid === proc.pid) entry.waiters.push(w);
        else w.resolve(proc);
      }
    }
    entry.healthyTimer = setTimeout(() => this.healthy(entry), this.healthyAfterMs);
    entry.healthyTimer.unref();
  }

  private failed(entry: Entry, why: string): void {
    const now = Date.now();
    if (entry.failures === 0) entry.firstFailureAt = now;
    entry.failures++;
    const delay = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (entry.failures - 1));
    const { name, logFile } = entry.spec;
    if (entry.failures >= this.reportAfterFailures && !entry.reported) {
      entry.reported = true;
      this.options.log(
        `herald: the ${name} process keeps stopping (${entry.failures} times in ${seconds(now - entry.firstFailureAt + 1)}, last: ${why}); ` +
          `it is started again every ${seconds(this.maxBackoffMs)} at most until it stays up — see ${logFile}`,
      );
    } else if (!entry.reported) {
      this.options.log(`herald: the ${name} process stopped (${why}); starting it again in ${seconds(delay)} (log: ${logFile})`);
    }
    entry.timer = setTimeout(() => {
      if (this.stopping) return;
      entry.restarts++;
      this.launch(entry);
    }, delay);
  }

  private healthy(entry: Entry): void {
    if (entry.failures === 0 || this.stopping) return;
    if (entry.reported)
      this.options.log(`herald: the ${entry.spec.name} process has stayed up for ${seconds(this.healthyAfterMs)} again`);
    entry.failures = 0;
    entry.reported = false;
  }

  private writePids(): void {
    const file = this.options.pidFile;
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, `${JSON.stringify(this.pids(), null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  }
}

function seconds(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return ms < 10_000 ? `${(ms / 1000).toFixed(1).replace(/\.0$/, '')} s` : `${Math.round(ms / 1000)} s`;
}

function stopChild(entry: Entry): Promise<void> {
  const proc = entry.process;
  if (!proc || proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), entry.spec.stopTimeoutMs ?? 10_000);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill(entry.spec.stopSignal ?? 'SIGTERM');
  });
}
