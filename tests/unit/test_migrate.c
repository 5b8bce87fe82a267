/* The migration monitor's decisions tick by tick, and the migration
 * configuration parser (KubeVirt CR, MigrationConfiguration, quantities). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "migrate_opts.h"
#include "migrate_policy.h"
#include "migrate_preflight.h"

#define MIB (1ULL << 20)

static struct mig_policy policy(double progress_timeout, double limit)
{
	struct mig_policy p = { .progress_timeout_s = progress_timeout, .completion_limit_s = limit };
	mig_policy_init(&p);
	return p;
}

static enum mig_action tick(struct mig_policy *p, double t, uint64_t remaining, uint64_t iter)
{
	struct mig_sample s = { .elapsed_s = t, .remaining = remaining, .iteration = iter };
	return mig_policy_tick(p, &s);
}

static void test_size_counts_like_kubevirt(void **state)
{
	(void)state;
	assert_int_equal(mig_size_gib(128 * MIB), 1);
	assert_int_equal(mig_size_gib(1000000000ULL), 1);
	assert_int_equal(mig_size_gib(1000000001ULL), 2);
	assert_int_equal(mig_size_gib(8ULL << 30), 9);   /* 8 GiB counts as 9 */
	assert_int_equal(mig_size_gib(0), 0);
}

/* An oscillating remaining must not reset the timer: progress is only a
 * new lowest value (KubeVirt compares with the last sample). */
static void test_progress_is_a_new_minimum(void **state)
{
	(void)state;
	struct mig_policy p = policy(10, 0);
	assert_int_equal(tick(&p, 0.4, 100 * MIB, 1), MIG_ACT_NONE);
	assert_int_equal(tick(&p, 4, 50 * MIB, 2), MIG_ACT_NONE);       /* progress at 4 s */
	for (double t = 5; t <= 14; t += 1)                               /* 80, 60, 80, 60 ... */
		assert_int_equal(tick(&p, t, ((int)t % 2 ? 80 : 60) * MIB, 3), MIG_ACT_NONE);
	assert_int_equal(tick(&p, 14.5, 60 * MIB, 3), MIG_ACT_ABORT_STUCK);
}

static void test_progress_resets_timer(void **state)
{
	(void)state;
	struct mig_policy p = policy(10, 0);
	assert_int_equal(tick(&p, 1, 100 * MIB, 1), MIG_ACT_NONE);
	assert_int_equal(tick(&p, 10.9, 99 * MIB, 1), MIG_ACT_NONE);
	assert_int_equal(tick(&p, 20.8, 98 * MIB, 1), MIG_ACT_NONE);
	assert_int_equal(tick(&p, 31, 98 * MIB, 1), MIG_ACT_ABORT_STUCK);
}

static void test_completion_limit_without_disruption_aborts(void **state)
{
	(void)state;
	struct mig_policy p = policy(0, 150);
	p.allow_postcopy = true;   /* post-copy armed but disruption not allowed */
	for (double t = 1; t <= 150; t += 1)
		assert_int_equal(tick(&p, t, (uint64_t)(200 - t) * MIB, 2), MIG_ACT_NONE);
	assert_int_equal(tick(&p, 150.4, 40 * MIB, 2), MIG_ACT_ABORT_TIMEOUT);
}

static void test_limit_switches_to_postcopy_after_first_iteration(void **state)
{
	(void)state;
	struct mig_policy p = policy(150, 2);
	p.allow_postcopy = p.allow_disruption = true;
	assert_int_equal(tick(&p, 2.4, 100 * MIB, 0), MIG_ACT_NONE);    /* QEMU not started */
	assert_int_equal(tick(&p, 2.8, 90 * MIB, 1), MIG_ACT_START_POSTCOPY);
	mig_policy_applied(&p, MIG_ACT_START_POSTCOPY);
	assert_int_equal(p.mode, MIG_MODE_POSTCOPY);
	/* post-copy is never aborted, whatever the clocks say */
	assert_int_equal(tick(&p, 1000, 90 * MIB, 5), MIG_ACT_NONE);
}

static void test_limit_pauses_when_postcopy_impossible(void **state)
{
	(void)state;
	struct mig_policy p = policy(0, 10);
	p.allow_postcopy = p.allow_disruption = p.has_vfio = true;
	assert_int_equal(tick(&p, 10.4, 90 * MIB, 3), MIG_ACT_PAUSE);
	mig_policy_applied(&p, MIG_ACT_PAUSE);
	assert_int_equal(p.mode, MIG_MODE_PAUSED);
	assert_true(p.completion_limit_s == 20);                        /* KubeVirt doubles it */
	assert_int_equal(tick(&p, 15, 80 * MIB, 4), MIG_ACT_NONE);
	assert_int_equal(tick(&p, 20.4, 70 * MIB, 5), MIG_ACT_ABORT_TIMEOUT);
}

static void test_auto_switches_early_when_dirtying_outruns_link(void **state)
{
	(void)state;
	struct mig_policy p = policy(150, 150);
	p.allow_postcopy = p.allow_disruption = p.strategy_auto = true;
	struct mig_sample s = { .elapsed_s = 1, .remaining = 90 * MIB, .iteration = 1,
				.dirty_rate = 300 * MIB, .transfer_rate = 100 * MIB };
	assert_int_equal(mig_policy_tick(&p, &s), MIG_ACT_NONE);        /* first pass: no rate yet */
	s.elapsed_s = 2, s.iteration = 2;
	assert_int_equal(mig_policy_tick(&p, &s), MIG_ACT_START_POSTCOPY);
	struct mig_policy q = p;
	mig_policy_init(&q);
	s.dirty_rate = 79 * MIB;                                          /* converging */
	assert_int_equal(mig_policy_tick(&q, &s), MIG_ACT_NONE);
	s.dirty_rate = 80 * MIB;
	assert_int_equal(mig_policy_tick(&q, &s), MIG_ACT_START_POSTCOPY);
}

static void test_quantities(void **state)
{
	(void)state;
	struct np_err e = { 0 };
	uint64_t v;
	assert_int_equal(mig_parse_quantity("q", "64Mi", &v, &e), 0);
	assert_int_equal(v, 64 * MIB);
	assert_int_equal(mig_parse_quantity("q", "1G", &v, &e), 0);
	assert_int_equal(v, 1000000000ULL);
	assert_int_equal(mig_parse_quantity("q", "0Mi", &v, &e), 0);
	assert_int_equal(v, 0);
	const char *bad[] = { "", "Mi", "-1Mi", "64mi", "64 Mi", "1.5Gi", "99999999999999999999", "20000000Ti" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		np_err_clear(&e);
		assert_int_equal(mig_parse_quantity("bandwidthPerMigration", bad[i], &v, &e), -EINVAL);
		assert_non_null(strstr(e.msg, "bandwidthPerMigration"));
	}
}

static void test_config_from_kubevirt_cr(void **state)
{
	(void)state;
	struct mig_opts o;
	struct np_err e = { 0 };
	mig_opts_defaults(&o);
	assert_int_equal(mig_opts_from_config(&o,
		"{\"apiVersion\":\"kubevirt.io/v1\",\"kind\":\"KubeVirt\",\"spec\":{\"configuration\":"
		"{\"migrations\":{\"bandwidthPerMigration\":\"64Mi\",\"completionTimeoutPerGiB\":800,"
		"\"progressTimeout\":30,\"allowPostCopy\":true,\"parallelMigrationsPerCluster\":5,"
		"\"disableTLS\":false}}}}", &e), 0);
	mig_opts_finish(&o);
	assert_int_equal(o.bandwidth_bytes, 64 * MIB);
	assert_true(o.completion_per_gib_s == 800 && o.progress_timeout_s == 30);
	assert_true(o.postcopy && o.disruption && o.tls && !o.auto_converge);

	mig_opts_defaults(&o);   /* a CR without migrations keeps the defaults */
	assert_int_equal(mig_opts_from_config(&o, "{\"kind\":\"KubeVirt\",\"spec\":{}}", &e), 0);
	assert_true(o.completion_per_gib_s == 150 && o.progress_timeout_s == 150);
}

static void test_config_bare_and_explicit_disruption(void **state)
{
	(void)state;
	struct mig_opts o;
	struct np_err e = { 0 };
	mig_opts_defaults(&o);
	assert_int_equal(mig_opts_from_config(&o,
		"{\"allowPostCopy\":true,\"allowWorkloadDisruption\":false,\"maxDowntimeMs\":300}", &e), 0);
	mig_opts_finish(&o);
	assert_true(o.postcopy && !o.disruption);
	assert_int_equal(o.max_downtime_ms, 300);
}

static void test_config_errors_name_the_field(void **state)
{
	(void)state;
	static const struct { const char *json, *needle; } cases[] = {
		{ "[]", "not a JSON object" },
		{ "{\"bandwidthPerMigraton\":\"1Mi\"}", "unknown key bandwidthPerMigraton" },
		{ "{\"allowPostCopy\":\"yes\"}", "allowPostCopy must be true or false" },
		{ "{\"progressTimeout\":-1}", "progressTimeout must be a whole number" },
		{ "{\"progressTimeout\":1.5}", "progressTimeout must be a whole number" },
		{ "{\"maxDowntimeMs\":0}", "maxDowntimeMs must be a whole number from 1 to 2000000" },
		{ "{\"bandwidthPerMigration\":64}", "bandwidthPerMigration must be a quantity string" },
		{ "{\"kind\":\"KubeVirt\",\"spec\":{\"configuration\":{\"migrations\":[]}}}", "must be an object" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct mig_opts o;
		struct np_err e = { 0 };
		mig_opts_defaults(&o);
		assert_int_equal(mig_opts_from_config(&o, cases[i].json, &e), -EINVAL);
		if (!strstr(e.msg, cases[i].needle))
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].json, e.msg, cases[i].needle);
	}
}

static void test_version_skew_names_both_versions(void **state)
{
	(void)state;
	struct mig_status st = { 0 };
	mig_check_version_skew(9000000, 9000000, 7002022, 7002022, &st);
	mig_check_version_skew(8000000, 9000000, 7002000, 8001000, &st);   /* target newer: fine */
	assert_int_equal(st.n_refusals, 0);
	mig_check_version_skew(9000000, 8010000, 7002022, 6002000, &st);
	assert_int_equal(st.n_refusals, 2);
	assert_non_null(strstr(st.refusals[0], "target libvirt 8.10.0 is older than source libvirt 9.0.0"));
	assert_non_null(strstr(st.refusals[1], "target QEMU 6.2.0 is older than source QEMU 7.2.22"));
	assert_non_null(strstr(st.refusals[1], "client socket is closed"));
}

static void test_caps_qemu_uid_from_dac_label(void **state)
{
	(void)state;
	const char *caps =
		"<capabilities><host><secmodel><model>none</model><doi>0</doi></secmodel>"
		"<secmodel><model>dac</model><doi>0</doi><baselabel type='kvm'>+64055:+107</baselabel>"
		"<baselabel type='qemu'>+0:+0</baselabel></secmodel></host></capabilities>";
	assert_int_equal(mig_caps_qemu_uid(caps, "kvm"), 64055);
	assert_int_equal(mig_caps_qemu_uid(caps, "qemu"), 0);
	assert_int_equal(mig_caps_qemu_uid(caps, "xen"), -1);
	/* a label outside the DAC model, or a malformed one, says nothing */
	assert_int_equal(mig_caps_qemu_uid("<secmodel><model>selinux</model><baselabel type='kvm'>+0:+0"
					   "</baselabel></secmodel>", "kvm"), -1);
	assert_int_equal(mig_caps_qemu_uid("<secmodel><model>dac</model><baselabel type='kvm'>qemu:kvm"
					   "</baselabel></secmodel>", "kvm"), -1);
	assert_int_equal(mig_caps_qemu_uid("", "kvm"), -1);
}

static void test_userfaultfd_verdicts(void **state)
{
	(void)state;
	struct mig_status st = { 0 };
	mig_check_userfaultfd(0, 0, "x", &st);        /* root QEMU has it */
	mig_check_userfaultfd(64055, 1, "x", &st);    /* the sysctl allows it */
	assert_int_equal(st.n_refusals, 0);
	mig_check_userfaultfd(64055, 0, "from inv-b.json", &st);
	assert_int_equal(st.n_refusals, 1);
	assert_non_null(strstr(st.refusals[0], "runs as uid 64055 and vm.unprivileged_userfaultfd is 0 (from inv-b.json)"));
	assert_non_null(strstr(st.refusals[0], "\"postCopy\": true"));
	mig_check_userfaultfd(-1, -1, "this node's /x", &st);
	assert_int_equal(st.n_refusals, 2);
	assert_non_null(strstr(st.refusals[1], "cannot be read (this node's /x)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_counts_like_kubevirt),
		cmocka_unit_test(test_progress_is_a_new_minimum),
		cmocka_unit_test(test_progress_resets_timer),
		cmocka_unit_test(test_completion_limit_without_disruption_aborts),
		cmocka_unit_test(test_limit_switches_to_postcopy_after_first_iteration),
		cmocka_unit_test(test_limit_pauses_when_postcopy_impossible),
		cmocka_unit_test(test_auto_switches_early_when_dirtying_outruns_link),
		cmocka_unit_test(test_quantities),
		cmocka_unit_test(test_config_from_kubevirt_cr),
		cmocka_unit_test(test_config_bare_and_explicit_disruption),
		cmocka_unit_test(test_config_errors_name_the_field),
		cmocka_unit_test(test_version_skew_names_both_versions),
		cmocka_unit_test(test_caps_qemu_uid_from_dac_label),
		cmocka_unit_test(test_userfaultfd_verdicts),
	};
	return cmocka_run_group_tests_name("migration monitor and configuration", tests, NULL, NULL);
}
