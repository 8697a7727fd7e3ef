#!/usr/bin/env python3
"""Validates custom resources (ServiceMonitor, PrometheusRule, ScaledObject) against models
generated from their CRDs (the cloudcoil-models-* packages of tests/deploy/requirements-crd.txt).

    validate_crds.py < objects.yaml

Runs with the Python of build-image/crd-venv (scripts/setup.sh makes it): those packages
bring a pytest plugin and HTTP client libraries that the test suite's Python does not need.
Prints one JSON object per input document: {"kind", "name", "error"} (error null when valid).
A key the model does not know is an error (the model would drop it silently).
"""
import json
import sys

import yaml


def models():
    from cloudcoil.models.keda.v1alpha1 import ScaledObject
    from cloudcoil.models.prometheus_operator.v1 import PrometheusRule, ServiceMonitor
    return {
        ('monitoring.coreos.com/v1', 'ServiceMonitor'): ServiceMonitor,
        ('monitoring.coreos.com/v1', 'PrometheusRule'): PrometheusRule,
        ('keda.sh/v1alpha1', 'ScaledObject'): ScaledObject,
    }


def dropped_keys(given, kept, path=''):
    """Keys of `given` missing from `kept` (the model's dump): keys the model does not know."""
    out = []
    if isinstance(given, dict) and isinstance(kept, dict):
        for k, v in given.items():
            if k not in kept:
                out.append(path + '.' + k)
            else:
                out += dropped_keys(v, kept[k], path + '.' + k)
    elif isinstance(given, list) and isinstance(kept, list):
        for i, (a, b) in enumerate(zip(given, kept)):
            out += dropped_keys(a, b, '%s[%d]' % (path, i))
    return out


def check(obj, table):
    model = table.get((obj.get('apiVersion'), obj.get('kind')))
    if model is None:
        return 'no schema for %s %s' % (obj.get('apiVersion'), obj.get('kind'))
    try:
        parsed = model.model_validate(obj)
    except Exception as e:  # pydantic.ValidationError
        return str(e).replace('\n', ' | ')[:600]
    dropped = dropped_keys(obj, parsed.model_dump(by_alias=True, exclude_unset=True,
                                                  mode='json'))
    return 'unknown keys %s' % dropped if dropped else None


def main():
    table = models()
    for obj in yaml.safe_load_all(sys.stdin):
        if not obj:
            continue
        print(json.dumps({'kind': obj.get('kind'),
                          'name': (obj.get('metadata') or {}).get('name'),
                          'error': check(obj, table)}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
