/**
 * The CLI's stdin becomes the script's input. It is read only when it is not a terminal: an interactive
 * vm-exec must not wait for the user to type Ctrl-D. It is read to its end before the script starts
 * (the script's input is a file in the exchange directory), concurrently with the boot.
 */
export async function readStdinUnlessTty(stdin: NodeJS.ReadStream): Promise<Buffer | undefined> {
	if (stdin.isTTY) return undefined;
	const chunks: Buffer[] = [];
	for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
	const input = Buffer.concat(chunks);
	return input.length > 0 ? input : undefined;
}
