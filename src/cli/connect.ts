// The CLI's `--target`: this machine, or an SSH target string or ssh-config alias. An SSH target is
// connected before returning, so a command fails early with the reason (and its fix).
import { HelperClient, HelperClientError } from '../core/connection/client';
import { startLocalHelper } from '../core/connection/local';
import { sshHelperClient } from '../core/connection/ssh';
import { specFromSetting, SshTargetSpec, TargetSyntaxError } from '../core/connection/sshTarget';

/** The CLI's `--target`: no target → this machine; else an SSH target string or ssh-config alias. */
export async function connectTarget(target?: string, sshConfig?: string): Promise<HelperClient> {
  if (target === undefined || target === '' || target === 'local') {
    return startLocalHelper();
  }
  let spec: SshTargetSpec;
  try {
    spec = specFromSetting(target);
  } catch (e) {
    if (e instanceof TargetSyntaxError)
      throw new HelperClientError({
        code: 'INVALID_PARAMS',
        message: `--target: ${e.message}`,
        fix: 'use user@host, user@host:port, user@[v6addr]:port or a Host alias from your ssh config',
      });
    throw e;
  }
  const client = sshHelperClient(spec, { configFile: sshConfig, log: (l) => process.stderr.write(`${l}\n`) });
  try {
    await client.hello();
  } catch (e) {
    await client.dispose();
    throw e;
  }
  return client;
}
