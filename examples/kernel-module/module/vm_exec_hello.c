// SPDX-License-Identifier: GPL-2.0
/*
 * vm_exec_hello: a tiny kernel module to show how to test one with vm-exec.
 * Loading it logs a greeting, creates /proc/vm_exec_hello (which reads "hello, <whom>") and exposes
 * its `whom` parameter in /sys/module/vm_exec_hello/parameters/whom. Unloading removes both. An empty
 * `whom` is a caller's mistake it warns about (WARN: a kernel report with a call trace) and greets the world.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

static char *whom = "world";
module_param(whom, charp, 0444);
MODULE_PARM_DESC(whom, "Who to greet in /proc/vm_exec_hello");

static struct proc_dir_entry *entry;

static int hello_show(struct seq_file *file, void *unused)
{
	seq_printf(file, "hello, %s\n", whom);
	return 0;
}

static int __init hello_init(void)
{
	if (WARN(!whom || !*whom, "vm_exec_hello: empty whom, greeting the world\n"))
		whom = "world";
	entry = proc_create_single("vm_exec_hello", 0444, NULL, hello_show);
	if (!entry)
		return -ENOMEM;
	pr_info("vm_exec_hello: loaded, greeting %s\n", whom);
	return 0;
}

static void __exit hello_exit(void)
{
	proc_remove(entry);
	pr_info("vm_exec_hello: unloaded\n");
}

module_init(hello_init);
module_exit(hello_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Greets through /proc: an example module tested with vm-exec");
