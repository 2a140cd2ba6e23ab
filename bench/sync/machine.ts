import os from 'node:os';
import { round } from '../lib/stats';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  os: string;
  /** 1-minute load average when the run started and ended: other work on the machine shows here. */
  loadAverage: { start: number; end?: number };
}

export function machineInfo(): MachineInfo {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverage: { start: round(os.loadavg()[0] ?? 0, 2) },
  };
}

export function finishMachineInfo(info: MachineInfo): MachineInfo {
  return { ...info, loadAverage: { ...info.loadAverage, end: round(os.loadavg()[0] ?? 0, 2) } };
}
