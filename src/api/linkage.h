/*
 * linkage.h: the record-matching family (seed 002) under /v1/matching: datasets (CSV uploads),
 * matching configs, runs and smart-runs (jobs of kind "linkage"), strategies, run results and
 * the estimated model. Errors use the snake-case vocabulary (validation_error, unauthorized,
 * not_found, rate_limited, ...); every object belongs to one workspace and another
 * workspace's id is not_found.
 */
#ifndef MATCHD_API_LINKAGE_H
#define MATCHD_API_LINKAGE_H

#include "http/server.h"

/* Registers the family's routes (API keys need the `linkage` permission). */
int api_linkage_routes(struct http_server *s);
/* Registers the runner of jobs of kind "linkage" with the worker pool. */
int api_linkage_register_runner(void);

#endif
