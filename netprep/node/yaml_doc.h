/* YAML documents as JSON trees, through libyaml: what kubectl prints and
 * operators write (NADs, `kubectl get -o yaml` lists, KubeVirt CRs) read
 * the way Kubernetes reads it (sigs.k8s.io/yaml turns YAML into JSON). */
#ifndef NETPREP_YAML_DOC_H
#define NETPREP_YAML_DOC_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "err.h"

/* Above this many values in one document (after aliases are expanded) a
 * document is refused: a few anchors can otherwise stand for billions. */
#define NP_YAML_MAX_VALUES 100000
#define NP_YAML_MAX_DEPTH 64

/* Calls cb with each document of the stream text[0..len) as a JSON tree
 * (cb must not keep it); plain scalars are resolved as YAML 1.2's core
 * schema does (null, true/false, numbers), everything else is a string.
 * A duplicate mapping key, a non-string key or an empty stream is an
 * error naming the document. Returns the number of documents, or a
 * negative errno (or cb's negative return). what names the input. */
int np_yaml_each(const char *text, size_t len, const char *what,
		 int (*cb)(const cJSON *doc, void *arg), void *arg, struct np_err *e);

/* The first document alone, for inputs that hold one (a KubeVirt CR). */
cJSON *np_yaml_first(const char *text, size_t len, const char *what, struct np_err *e);

#endif
