// Ctrl-C while the CLI follows a task stops the following, not the task: it runs on on the
// server. Said, with the two ways on, so that nobody takes the silence for a stopped task.
import { note } from './output.js';

/** Until the returned function is called, SIGINT ends the CLI (status 130, as a shell's) with that notice. */
export function onInterruptSayTaskRuns(appName: string, taskRef: string): () => void {
  const onSigint = () => {
    note(`taskd: stopped following; the task is still running on the server.`);
    note(`Follow it again with 'taskd logs ${appName} ${taskRef} -f', stop it with 'taskd terminate-task ${appName} ${taskRef}'.`);
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  return () => process.off('SIGINT', onSigint);
}
