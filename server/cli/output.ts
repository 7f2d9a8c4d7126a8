/** Human output of CLI commands: results on stdout, problems on stderr. */
export const say = (line = '') => process.stdout.write(`${line}\n`);
export const warn = (line: string) => process.stderr.write(`${line}\n`);

