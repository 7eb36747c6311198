/**
 * What the guest does with the host paths a host user other than root commonly cannot read (9p reads the
 * host as that user, so the guest's root could not read them either). One table for the guest init's
 * behaviour (guest/init.sh, root.sh), the doctor's check and the docs (api.md#what-the-guest-sees). Pure.
 */

/** A host path and what the guest shows in its place. */
export interface GuestPath {
	/** The path in the guest's root. */
	path: string;
	/** `fresh`: the guest's own (the host's never read); `host`: the host's, readable only if the host user can read it. */
	guest: 'fresh' | 'host';
	/** What the guest has there when fresh, or what fails when the host user cannot read it. */
	note: string;
}

/** The paths the guest makes its own for every host user (root included): the same guest for everyone. */
export const FRESH_PATHS: readonly GuestPath[] = [
	{ path: '/root', guest: 'fresh', note: 'an empty, writable home (tmpfs, 0700): git config --global, nix, npm can use it' },
	{ path: '/etc/shadow', guest: 'fresh', note: 'one locked line (*) per account of /etc/passwd, 0600: useradd, chpasswd, su work' },
	{ path: '/etc/gshadow', guest: 'fresh', note: 'one line (!) per group of /etc/group, 0600' },
	{ path: '/etc/shadow-', guest: 'fresh', note: 'a copy of the fresh /etc/shadow' },
	{ path: '/etc/gshadow-', guest: 'fresh', note: 'a copy of the fresh /etc/gshadow' },
	{ path: '/var/cache/ldconfig', guest: 'fresh', note: 'an empty, writable dir (tmpfs, 0700): ldconfig works' },
];

/** Other paths a guest commonly uses that only root can read on a usual host: the guest shows the host's. */
export const HOST_ONLY_PATHS: readonly GuestPath[] = [
	{ path: '/etc/sudoers', guest: 'host', note: 'sudo in the guest cannot read its policy (scripts run as root: runuser needs none)' },
	{ path: '/etc/sudoers.d', guest: 'host', note: 'sudo in the guest cannot read its drop-in rules' },
	{ path: '/etc/ssl/private', guest: 'host', note: 'programs that load private TLS keys from it (a web server) fail' },
	{
		path: '/etc/ssh/ssh_host_ed25519_key',
		guest: 'host',
		note: "sshd in the guest cannot load the host's keys (generate new ones with ssh-keygen -A)",
	},
	{ path: '/var/cache/apt/archives/partial', guest: 'host', note: 'apt-get download in the guest cannot use its partial dir' },
];
