/** The streams a CLI command writes to (the process's own in main.ts). */
export interface CliIo {
	stdout: NodeJS.WritableStream;
	stderr: NodeJS.WritableStream;
}
