/**
 * A Unix socket the host listens on and QEMU connects to (one connection per socket).
 */
import net from 'node:net';

export interface AcceptingSocket {
	path: string;
	/** Resolves with QEMU's connection. */
	connection: Promise<net.Socket>;
	close(): void;
}

export async function listenUnixSocket(socketPath: string): Promise<AcceptingSocket> {
	const server = net.createServer({ pauseOnConnect: false });
	let resolveConnection!: (socket: net.Socket) => void;
	let rejectConnection!: (error: Error) => void;
	const connection = new Promise<net.Socket>((resolve, reject) => {
		resolveConnection = resolve;
		rejectConnection = reject;
	});
	connection.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
	let accepted: net.Socket | undefined;
	server.on('connection', (socket) => {
		if (accepted) {
			socket.destroy();
			return;
		}
		accepted = socket;
		socket.on('error', () => {}); // QEMU going away is reported through its exit, not here
		resolveConnection(socket);
		server.close(); // one connection only; the socket file is removed with the workspace
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(socketPath, () => {
			server.off('error', reject);
			resolve();
		});
	});
	server.on('error', () => {});
	return {
		path: socketPath,
		connection,
		close() {
			rejectConnection(new Error(`No connection on ${socketPath}`));
			server.close();
			accepted?.destroy();
		},
	};
}
