/* NetworkAttachmentDefinitions as operators hand them over: one NAD in YAML
 * or JSON, several documents, what `kubectl get -o yaml` prints (a List),
 * and the documents that are not NADs, even when they mention the word. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "nad.h"
#include "yaml_doc.h"

struct seen {
	int n;
	char names[4][64];
};

static int collect(cJSON *config, void *arg)
{
	struct seen *s = arg;
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(config, "name");
	if (s->n < 4 && cJSON_IsString(name))
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name->valuestring);
	s->n++;
	return 0;
}

static int nads(const char *text, struct seen *s, struct np_err *e)
{
	memset(s, 0, sizeof(*s));
	return nad_each(text, strlen(text), collect, s, e);
}

static void test_kubectl_list(void **state)
{
	(void)state;
	/* kubectl get net-attach-def -o yaml: spec is indented, in a List */
	static const char list[] =
		"apiVersion: v1\n"
		"items:\n"
		"- apiVersion: k8s.cni.cncf.io/v1\n"
		"  kind: NetworkAttachmentDefinition\n"
		"  metadata:\n"
		"    name: vlan13\n"
		"  spec:\n"
		"    config: '{\"cniVersion\":\"1.0.0\",\"name\":\"vlan13\",\"type\":\"mignet-bridge\"}'\n"
		"- apiVersion: k8s.cni.cncf.io/v1\n"
		"  kind: NetworkAttachmentDefinition\n"
		"  metadata: {name: vlan12}\n"
		"  spec:\n"
		"    config: |\n"
		"      {\"cniVersion\": \"1.0.0\", \"name\": \"vlan12\",\n"
		"       \"type\": \"mignet-bridge\"}\n"
		"kind: List\n"
		"metadata:\n"
		"  resourceVersion: \"\"\n";
	struct seen s;
	struct np_err e = { 0 };
	assert_int_equal(nads(list, &s, &e), 2);
	assert_string_equal(s.names[0], "vlan13");
	assert_string_equal(s.names[1], "vlan12");
}

static void test_other_documents(void **state)
{
	(void)state;
	/* a ConfigMap that mentions NADs is not one; "---" inside a string
	 * does not split documents */
	static const char docs[] =
		"kind: ConfigMap\n"
		"data:\n"
		"  note: \"see the NetworkAttachmentDefinition below\\n---\\nkind: x\"\n"
		"---\n"
		"kind: NetworkAttachmentDefinition\n"
		"metadata: {name: m}\n"
		"spec: {config: '{\"name\":\"migration-net\",\"type\":\"mignet-macvlan\"}'}\n"
		"---\n"
		"kind: Service\n";
	struct seen s;
	struct np_err e = { 0 };
	assert_int_equal(nads(docs, &s, &e), 1);
	assert_string_equal(s.names[0], "migration-net");
	static const char none[] = "kind: ConfigMap\ndata: {kind: NetworkAttachmentDefinition}\n";
	assert_int_equal(nads(none, &s, &e), 0);
}

static void test_json_form(void **state)
{
	(void)state;
	static const char json[] =
		"{\"kind\":\"NetworkAttachmentDefinition\",\"metadata\":{\"name\":\"a\"},"
		"\"spec\":{\"config\":\"{\\\"name\\\":\\\"a\\\",\\\"type\\\":\\\"mignet-bridge\\\"}\"}}";
	struct np_err e = { 0 };
	cJSON *c = nad_config(json, strlen(json), &e);
	assert_non_null(c);
	assert_string_equal(cJSON_GetObjectItem(c, "type")->valuestring, "mignet-bridge");
	cJSON_Delete(c);
}

static void assert_refused(const char *text, const char *needle)
{
	struct seen s;
	struct np_err e = { 0 };
	assert_true(nads(text, &s, &e) < 0);
	if (!strstr(e.msg, needle))
		fail_msg("error \"%s\" lacks \"%s\"", e.msg, needle);
	assert_null(strchr(e.msg, '\n'));
}

static void test_refusals(void **state)
{
	(void)state;
	assert_refused("kind: NetworkAttachmentDefinition\nkind: List\n", "appears twice");
	assert_refused("kind: NetworkAttachmentDefinition\nspec: {config: '[1]'}\n", "not a JSON object");
	assert_refused("kind: NetworkAttachmentDefinition\nspec: {config: 5}\n", "must be a string");
	assert_refused("kind: NetworkAttachmentDefinition\nspec: {config: '{\"a\":1,\"a\":2}'}\n", "appears twice");
	assert_refused("kind: [unclosed\n", "not valid YAML");
	assert_refused("", "no YAML document");
	/* a few anchors that would expand to billions of values */
	assert_refused("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
		       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		       "f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n", "more than");
}

static void test_scalars(void **state)
{
	(void)state;
	static const char cr[] = "a: 150\nb: true\nc: 64Mi\nd: ~\ne: '150'\nf: 1e3\ng: 0x10\nh: .5\n";
	struct np_err e = { 0 };
	cJSON *j = np_yaml_first(cr, strlen(cr), "cr", &e);
	assert_non_null(j);
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "a")));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "b")));
	assert_string_equal(cJSON_GetObjectItem(j, "c")->valuestring, "64Mi");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "d")));
	assert_string_equal(cJSON_GetObjectItem(j, "e")->valuestring, "150");
	assert_true(cJSON_GetObjectItem(j, "f")->valuedouble == 1000);
	assert_string_equal(cJSON_GetObjectItem(j, "g")->valuestring, "0x10");
	assert_true(cJSON_GetObjectItem(j, "h")->valuedouble == 0.5);
	cJSON_Delete(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubectl_list),
		cmocka_unit_test(test_other_documents),
		cmocka_unit_test(test_json_form),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_scalars),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
