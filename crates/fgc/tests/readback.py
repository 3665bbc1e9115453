#!/usr/bin/env python3
"""Reads back, through boto3, what `fgc apply` made, and compares it with the IR.

    python3 readback.py ENDPOINT REGION IR.json STATE.json

IR.json is `fgc build FILE --emit ir [--env E]`; STATE.json is the state file the apply
wrote. The script is an independent second opinion on fgc's AWS backend: it does not
trust the state beyond the physical ids and outputs (needed to find the resources and to
resolve references), reads every resource with boto3 and compares every attribute the IR
gives (except those the resource declares `managed_elsewhere`) with what AWS answers.

It prints one JSON object and exits 0; the caller decides what to assert:

    {"checked":    number of (resource, attribute) pairs compared,
     "mismatches": [{"id", "kind", "attr", "want", "got"}],  # attr may be a path: health_check.path
     "unchecked":  [{"kind", "attr", "reason"}],             # distinct pairs skipped, with why
     "missing":    [ids of state resources AWS does not have]}

A boto3 error while reading a resource becomes a mismatch with `"got": "error: …"`; an
IR resource the state does not record becomes a mismatch on attribute `*`.

How values are compared (all of it explicit, nothing ignored wholesale):
  * The IR's tagged values are made plain as fg-deploy's `exec.rs` `plain` does: refs and
    templates resolved from the state's outputs (data sources read through boto3), JSON
    documents kept parsed. One difference, on purpose: a block name repeated inside a
    block (two `step_adjustment`s, two `target_group`s) is a list here, where exec.rs's
    JSON object keeps only the last; the IR means all of them.
  * Top-level attributes repeated (several `setting` or `default_action` blocks) are a list.
  * Blocks are compared by the fields the IR sets (AWS fills in defaults); maps (`tags`,
    alarm `dimensions`) and JSON documents exactly, except container definitions, which
    ECS fills with defaults and are compared by the fields the IR sets, container by
    container. A single block against a list AWS returns is a one-element list.
  * Lists keep their order unless listed in UNORDERED (AWS does not keep their order).
  * A number equals a numeric string of the same value; a bool equals only a bool.
  * Expected `tags` = the IR's top-level (stack) tags merged with the resource's own.
  * Pairs moto 5.2.5 cannot represent are in MOTO_GAPS and are skipped only when the
    answer lacks them: whatever moto does return is compared. NOT_STORED lists the
    arguments AWS keeps nowhere (fgc passes them to the delete call).
"""

import json
import sys
import urllib.parse

import boto3
import botocore.config
import botocore.exceptions

M = "moto 5.2.5 (site-packages/moto/"

# (kind, attr) pairs moto 5.2.5 does not return, each with the source that shows it. A
# pair is skipped only when the answer lacks it: moto's UpdateService, for one, keeps every
# parameter it is given (ecs/models.py update_service, lines 1702-1741, setattr of each),
# so after an update the service's deployment configuration is read back and compared.
CREATE_SERVICE = "ecs/responses.py create_service, lines 288-319; ecs/models.py Service.__init__, lines 472-566): "
NO_DEPLOYMENT_CONFIGS = (
    "codedeploy/responses.py, lines 101-280, and urls.py): no CreateDeploymentConfig or GetDeploymentConfig "
    "(moto answers 500), so no custom deployment configuration exists to read"
)
MOTO_GAPS = {
    ("aws_ecs_service", "capacity_provider_strategy"): M + CREATE_SERVICE + "CreateService reads no capacityProviderStrategy",
    ("aws_ecs_service", "deployment_circuit_breaker"): M + CREATE_SERVICE + "CreateService reads no deploymentConfiguration",
    ("aws_ecs_service", "deployment_minimum_healthy_percent"): M + CREATE_SERVICE + "CreateService reads no deploymentConfiguration",
    ("aws_ecs_service", "deployment_maximum_percent"): M + CREATE_SERVICE + "CreateService reads no deploymentConfiguration",
    ("aws_ecs_service", "health_check_grace_period_seconds"): M + CREATE_SERVICE + "CreateService reads no healthCheckGracePeriodSeconds",
    ("aws_ecs_service", "enable_ecs_managed_tags"): M + CREATE_SERVICE + "CreateService reads no enableECSManagedTags",
    ("aws_codedeploy_deployment_config", "deployment_config_name"): M + NO_DEPLOYMENT_CONFIGS,
    ("aws_codedeploy_deployment_config", "compute_platform"): M + NO_DEPLOYMENT_CONFIGS,
    ("aws_codedeploy_deployment_config", "traffic_routing_config"): M + NO_DEPLOYMENT_CONFIGS,
    ("aws_codedeploy_deployment_group", "alarm_configuration"): M
    + 'codedeploy/responses.py _deployment_group_info, line 37): GetDeploymentGroup answers "alarmConfiguration": {}  # TODO',
    ("aws_appautoscaling_target", "tags"): M
    + "applicationautoscaling/responses.py register_scalable_target, lines 46-58, reads no Tags; there is no "
    "ListTagsForResource in responses.py or urls.py; _build_target, lines 197-208, has no tags)",
}

# Arguments of the delete call, kept by no AWS API (fgc reads them back from its state).
NOT_STORED = {
    ("aws_kms_key", "deletion_window_in_days"): "a ScheduleKeyDeletion argument (fgc's destroy); a live key has no such property",
    ("aws_ecr_repository", "force_delete"): "a DeleteRepository argument (fgc's destroy); ECR keeps no such property",
    ("aws_db_instance", "skip_final_snapshot"): "a DeleteDBInstance argument (fgc's destroy); RDS keeps no such property",
    ("aws_db_instance", "final_snapshot_identifier"): "a DeleteDBInstance argument (fgc's destroy); RDS keeps no such property",
}

MANAGED_ELSEWHERE = "the resource declares it managed_elsewhere: changed outside fgc after creation"

# Lists whose order AWS does not keep, by kind and path ("[]" for list elements).
UNORDERED = {
    "aws_lb": {"subnets", "security_groups"},
    "aws_vpc_endpoint": {"subnet_ids", "security_group_ids", "route_table_ids"},
    "aws_ecs_cluster": {"setting"},
    "aws_ecs_cluster_capacity_providers": {"capacity_providers", "default_capacity_provider_strategy"},
    "aws_ecs_service": {
        "capacity_provider_strategy",
        "load_balancer",
        "network_configuration.subnets",
        "network_configuration.security_groups",
    },
    "aws_ecs_task_definition": {
        "requires_compatibilities",
        "container_definitions[].environment",
        "container_definitions[].secrets",
    },
    "aws_lb_listener_rule": {"condition", "condition[].path_pattern.values", "condition[].host_header.values"},
    "aws_db_instance": {"vpc_security_group_ids", "enabled_cloudwatch_logs_exports"},
    "aws_db_subnet_group": {"subnet_ids"},
    "aws_apigatewayv2_vpc_link": {"subnet_ids", "security_group_ids"},
    "aws_apigatewayv2_api": {
        "cors_configuration.allow_origins",
        "cors_configuration.allow_methods",
        "cors_configuration.allow_headers",
        "cors_configuration.expose_headers",
    },
    "aws_apigatewayv2_authorizer": {"identity_sources", "jwt_configuration.audience"},
    "aws_cloudwatch_metric_alarm": {"alarm_actions"},
    "aws_codedeploy_deployment_group": {
        "auto_rollback_configuration.events",
        "alarm_configuration.alarms",
        "load_balancer_info.target_group_pair_info",
        "load_balancer_info.target_group_pair_info[].target_group",
        "load_balancer_info.target_group_pair_info[].prod_traffic_route.listener_arns",
        "load_balancer_info.target_group_pair_info[].test_traffic_route.listener_arns",
    },
    "aws_appautoscaling_policy": {"step_scaling_policy_configuration.step_adjustment"},
}

# JSON documents compared by the fields the IR sets (AWS adds defaults to them).
PARTIAL_JSON = {("aws_ecs_task_definition", "container_definitions")}


class Missing(Exception):
    """AWS does not have the resource."""


class Block(dict):
    """An IR block: compared by the fields the IR sets."""


class Exact(dict):
    """An IR map or a JSON object: compared key for key."""


class Err(str):
    """A boto3 error in place of a value."""


# How services say a resource is gone (ECS: a task definition never registered).
NOT_FOUND_MARKERS = ("NotFound", "NoSuchEntity", "DoesNotExist", "does not exist", "not found", "Unable to describe task definition")


def not_found(e):
    if isinstance(e, botocore.exceptions.ClientError):
        err = e.response.get("Error", {})
        text = f"{err.get('Code', '')} {err.get('Message', '')}"
        return any(m in text for m in NOT_FOUND_MARKERS)
    return False


def describe_error(e):
    if isinstance(e, botocore.exceptions.ClientError):
        err = e.response.get("Error", {})
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return Err(f"error: {e.operation_name}: {err.get('Code', '')} {err.get('Message', '')} (HTTP {status})".strip())
    return Err(f"error: {type(e).__name__}: {e}")


def safe(fn):
    """The value fn reads, or the error reading it as a value (one attribute fails, not all)."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - any answer becomes a reported value
        return describe_error(e)


# ---------------------------------------------------------------------------------------
# The IR made plain (mirrors crates/fg-deploy/src/exec.rs `plain`).


class Resolver:
    def __init__(self, state, ir, aws):
        self.outputs = {i: r.get("outputs", {}) for i, r in state.get("resources", {}).items()}
        self.data_kinds = {r["id"]: r["kind"] for r in ir.get("resources", []) if r.get("data")}
        self.aws = aws
        self.data = {}

    def data_outputs(self, id):
        if id not in self.data:
            self.data[id] = safe(lambda: read_data(self.aws, self.data_kinds.get(id, "")))
        return self.data[id]

    def ref(self, r):
        id, attr = r.get("id", ""), r.get("attr", "")
        if id in self.outputs:
            return self.outputs[id].get(attr, "")
        if id in self.data_kinds:
            d = self.data_outputs(id)
            return d if isinstance(d, Err) else d.get(attr, "")
        return ""

    def plain(self, v, in_json=False):
        if not isinstance(v, dict):
            return None
        t, x = v.get("type"), v.get("value")
        if t in ("str", "int", "num", "bool"):
            return x
        if t == "list":
            return [self.plain(i, in_json) for i in x or []]
        if t in ("map", "block"):
            names = [p[0] for p in x or []]
            obj = (Exact if (t == "map" or in_json) else Block)()
            for name, val in x or []:
                val = self.plain(val, in_json)
                if names.count(name) > 1:
                    obj.setdefault(name, []).append(val)
                else:
                    obj[name] = val
            return obj
        if t == "ref":
            return self.ref(x or {})
        if t == "template":
            return "".join(self.ref(p.get("value", {})) if p.get("type") == "ref" else str(p.get("value", "")) for p in x or [])
        if t == "json":
            return self.plain(x, True)
        return None


def read_data(aws, kind):
    """What fg-aws `read_data` reads for a data source."""
    if kind == "aws_partition":
        region = aws.region
        part = "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
        return {"partition": part, "dns_suffix": "amazonaws.com"}
    if kind == "aws_caller_identity":
        who = aws.sts.get_caller_identity()
        return {"account_id": who["Account"], "arn": who["Arn"]}
    if kind == "aws_availability_zones":
        names = [z["ZoneName"] for z in aws.ec2.describe_availability_zones()["AvailabilityZones"]]
        out = {"names": json.dumps(names, separators=(",", ":"))}
        out.update({f"names[{i}]": n for i, n in enumerate(names)})
        return out
    raise ValueError(f"no data source `{kind}`")


def to_partial(v):
    """A JSON document compared by the fields it sets."""
    if isinstance(v, dict):
        return Block({k: to_partial(x) for k, x in v.items()})
    if isinstance(v, list):
        return [to_partial(x) for x in v]
    return v


# ---------------------------------------------------------------------------------------
# Comparison.

ABSENT = object()


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def numeric(v):
    if is_num(v):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def same_scalar(want, got):
    if isinstance(want, bool) or isinstance(got, bool):
        return isinstance(want, bool) and isinstance(got, bool) and want == got
    if is_num(want) or is_num(got):
        a, b = numeric(want), numeric(got)
        return a is not None and b is not None and a == b
    return want == got and not isinstance(got, Err)


def diff(want, got, path, shape, kind, out):
    """Appends (path, want, got) for each difference, comparing only what `want` sets."""
    if isinstance(got, Err):
        out.append((path, want, got))
    elif isinstance(want, Exact):
        if not isinstance(got, dict) or set(want) != set(got):
            out.append((path, want, got))
        else:
            for k, w in want.items():
                diff(w, got[k], f"{path}.{k}", f"{shape}.{k}", kind, out)
    elif isinstance(want, dict):
        if isinstance(got, list):
            diff([want], got, path, shape, kind, out)
        elif not isinstance(got, dict):
            out.append((path, want, got))
        else:
            for k, w in want.items():
                diff(w, got.get(k, ABSENT), f"{path}.{k}", f"{shape}.{k}", kind, out)
    elif isinstance(want, list):
        if isinstance(got, dict) and len(want) == 1:
            got = [got]
        if not isinstance(got, list) or len(got) != len(want):
            out.append((path, want, got))
        elif shape in UNORDERED.get(kind, set()) and len(want) > 1:
            left = list(got)
            for w in want:
                hit = next((i for i, g in enumerate(left) if agree(w, g, shape + "[]", kind)), None)
                if hit is None:
                    out.append((path, want, got))
                    return
                left.pop(hit)
        else:
            for i, (w, g) in enumerate(zip(want, got)):
                diff(w, g, f"{path}[{i}]", shape + "[]", kind, out)
    elif not same_scalar(want, got):
        out.append((path, want, got))


def agree(want, got, shape, kind):
    found = []
    diff(want, got, "", shape, kind, found)
    return not found


def jsonable(v):
    if v is ABSENT:
        return None
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    return v


# ---------------------------------------------------------------------------------------
# Helpers for answers.


def tag_dict(items, key="Key", value="Value"):
    return {t[key]: t.get(value, "") for t in items or []}


def doc(v):
    """A JSON document as AWS returns it: a string (IAM's URL-encoded) or already parsed."""
    if isinstance(v, (dict, list)):
        return v
    if isinstance(v, str):
        try:
            return json.loads(v)
        except ValueError:
            return json.loads(urllib.parse.unquote(v))
    return v


def only(items, what):
    if not items:
        raise Missing(what)
    return items[0]


def pick(src, mapping):
    """A block from an answer: {ir_name: answer[aws_name]} for the fields the answer has."""
    src = src or {}
    return {ir: src[aws] for ir, aws in mapping.items() if aws in src}


class Aws:
    def __init__(self, endpoint, region):
        self.region = region
        self.kw = dict(
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=botocore.config.Config(retries={"max_attempts": 3}, connect_timeout=10, read_timeout=60),
        )
        self.clients = {}
        self.account = None

    def __getattr__(self, name):
        services = {
            "ec2": "ec2",
            "elb": "elbv2",
            "ecs": "ecs",
            "iam": "iam",
            "logs": "logs",
            "kms": "kms",
            "sts": "sts",
            "asg": "application-autoscaling",
            "cw": "cloudwatch",
            "cd": "codedeploy",
            "rds": "rds",
            "ecr": "ecr",
            "apigw": "apigatewayv2",
        }
        if name not in services:
            raise AttributeError(name)
        if name not in self.clients:
            self.clients[name] = boto3.client(services[name], **self.kw)
        return self.clients[name]

    def arn(self, service, resource):
        if self.account is None:
            self.account = self.sts.get_caller_identity()["Account"]
        part = "aws-cn" if self.region.startswith("cn-") else "aws-us-gov" if self.region.startswith("us-gov-") else "aws"
        return f"arn:{part}:{service}:{self.region}:{self.account}:{resource}"


# ---------------------------------------------------------------------------------------
# Readers: one per kind. Each takes (aws, physical id, outputs, wanted attributes) and
# returns the attributes as AWS has them, shaped and named as the IR names them, leaving
# out what the answer does not hold. Missing when AWS does not have the resource.


def ec2_tags(x):
    return tag_dict(x.get("Tags"))


def read_vpc(aws, p, out, want):
    v = only(aws.ec2.describe_vpcs(VpcIds=[p])["Vpcs"], p)
    attr = lambda name: safe(lambda: aws.ec2.describe_vpc_attribute(VpcId=p, Attribute=name)[name[0].upper() + name[1:]]["Value"])
    return {
        "cidr_block": v["CidrBlock"],
        "enable_dns_support": attr("enableDnsSupport"),
        "enable_dns_hostnames": attr("enableDnsHostnames"),
        "tags": ec2_tags(v),
    }


def read_subnet(aws, p, out, want):
    s = only(aws.ec2.describe_subnets(SubnetIds=[p])["Subnets"], p)
    return {
        "vpc_id": s["VpcId"],
        "cidr_block": s["CidrBlock"],
        "availability_zone": s["AvailabilityZone"],
        "map_public_ip_on_launch": s.get("MapPublicIpOnLaunch"),
        "tags": ec2_tags(s),
    }


def read_internet_gateway(aws, p, out, want):
    g = only(aws.ec2.describe_internet_gateways(InternetGatewayIds=[p])["InternetGateways"], p)
    attached = [a["VpcId"] for a in g.get("Attachments", []) if a.get("State") in ("available", "attached")]
    return {"vpc_id": attached[0] if len(attached) == 1 else attached, "tags": ec2_tags(g)}


def read_route_table(aws, p, out, want):
    t = only(aws.ec2.describe_route_tables(RouteTableIds=[p])["RouteTables"], p)
    return {"vpc_id": t["VpcId"], "tags": ec2_tags(t)}


def read_route(aws, p, out, want):
    table, dest = p.split("|", 1)
    t = only(aws.ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"], table)
    r = only([r for r in t.get("Routes", []) if r.get("DestinationCidrBlock") == dest], p)
    got = {"route_table_id": t["RouteTableId"], "destination_cidr_block": r["DestinationCidrBlock"]}
    # A NAT gateway route answers NatGatewayId; an internet gateway route GatewayId.
    got["gateway_id"] = r.get("GatewayId")
    got["nat_gateway_id"] = r.get("NatGatewayId")
    return got


def read_route_table_association(aws, p, out, want):
    flt = [{"Name": "association.route-table-association-id", "Values": [p]}]
    t = only(aws.ec2.describe_route_tables(Filters=flt)["RouteTables"], p)
    a = only([a for a in t.get("Associations", []) if a.get("RouteTableAssociationId") == p], p)
    return {"route_table_id": a.get("RouteTableId"), "subnet_id": a.get("SubnetId")}


def read_eip(aws, p, out, want):
    a = only(aws.ec2.describe_addresses(AllocationIds=[p])["Addresses"], p)
    return {"domain": a.get("Domain"), "tags": ec2_tags(a)}


def read_nat_gateway(aws, p, out, want):
    n = only([n for n in aws.ec2.describe_nat_gateways(NatGatewayIds=[p])["NatGateways"] if n.get("State") not in ("deleted", "deleting")], p)
    allocations = [a.get("AllocationId") for a in n.get("NatGatewayAddresses", [])]
    return {
        "allocation_id": allocations[0] if len(allocations) == 1 else allocations,
        "subnet_id": n.get("SubnetId"),
        "tags": ec2_tags(n),
    }


def read_security_group(aws, p, out, want):
    g = only(aws.ec2.describe_security_groups(GroupIds=[p])["SecurityGroups"], p)
    return {"name": g["GroupName"], "description": g.get("Description"), "vpc_id": g.get("VpcId"), "tags": ec2_tags(g)}


def read_default_security_group(aws, p, out, want):
    g = only(aws.ec2.describe_security_groups(GroupIds=[p])["SecurityGroups"], p)
    return {"vpc_id": g.get("VpcId"), "tags": ec2_tags(g)}


def read_sg_rule(egress):
    def read(aws, p, out, want):
        r = only(aws.ec2.describe_security_group_rules(SecurityGroupRuleIds=[p])["SecurityGroupRules"], p)
        if bool(r.get("IsEgress")) != egress:
            raise Missing(f"{p} is an {'ingress' if egress else 'egress'} rule")
        got = {
            "security_group_id": r.get("GroupId"),
            "ip_protocol": r.get("IpProtocol"),
            "from_port": r.get("FromPort"),
            "to_port": r.get("ToPort"),
            "tags": ec2_tags(r),
        }
        if "Description" in r:
            got["description"] = r["Description"]
        elif "ReferencedGroupInfo" in r:
            # moto 5.2.5 keeps a group reference's description only in the group's
            # permissions (SecurityGroupRule.description reads the CIDR range alone).
            got["description"] = safe(lambda: pair_description(aws, r, egress))
        else:
            got["description"] = None
        if "CidrIpv4" in r or "cidr_ipv4" in want:
            got["cidr_ipv4"] = r.get("CidrIpv4")
        if "ReferencedGroupInfo" in r or "referenced_security_group_id" in want:
            got["referenced_security_group_id"] = (r.get("ReferencedGroupInfo") or {}).get("GroupId")
        return got

    return read


def pair_description(aws, rule, egress):
    """The description of a group-referencing rule, from DescribeSecurityGroups."""
    g = only(aws.ec2.describe_security_groups(GroupIds=[rule["GroupId"]])["SecurityGroups"], rule["GroupId"])
    other = rule["ReferencedGroupInfo"].get("GroupId")
    for perm in g.get("IpPermissionsEgress" if egress else "IpPermissions", []):
        same = perm.get("IpProtocol") == rule.get("IpProtocol") and (rule.get("IpProtocol") == "-1" or (perm.get("FromPort"), perm.get("ToPort")) == (rule.get("FromPort"), rule.get("ToPort")))
        for pair in perm.get("UserIdGroupPairs", []) if same else []:
            if pair.get("GroupId") == other:
                return pair.get("Description")
    return None


def read_flow_log(aws, p, out, want):
    f = only(aws.ec2.describe_flow_logs(FlowLogIds=[p])["FlowLogs"], p)
    return {
        "vpc_id": f.get("ResourceId"),
        "traffic_type": f.get("TrafficType"),
        "log_destination": f.get("LogDestination"),
        "iam_role_arn": f.get("DeliverLogsPermissionArn"),
        "tags": ec2_tags(f),
    }


def read_vpc_endpoint(aws, p, out, want):
    e = only([e for e in aws.ec2.describe_vpc_endpoints(VpcEndpointIds=[p])["VpcEndpoints"] if e.get("State", "").lower() not in ("deleted", "deleting")], p)
    return {
        "vpc_id": e.get("VpcId"),
        "service_name": e.get("ServiceName"),
        "vpc_endpoint_type": e.get("VpcEndpointType"),
        "subnet_ids": e.get("SubnetIds", []),
        "security_group_ids": [g["GroupId"] for g in e.get("Groups", [])],
        "route_table_ids": e.get("RouteTableIds", []),
        "private_dns_enabled": e.get("PrivateDnsEnabled"),
        "tags": ec2_tags(e),
    }


def elb_tags(aws, arn):
    return safe(lambda: tag_dict(only(aws.elb.describe_tags(ResourceArns=[arn])["TagDescriptions"], arn).get("Tags")))


def read_lb(aws, p, out, want):
    lb = only(aws.elb.describe_load_balancers(LoadBalancerArns=[p])["LoadBalancers"], p)
    got = {
        "name": lb["LoadBalancerName"],
        "internal": lb.get("Scheme") == "internal",
        "load_balancer_type": lb.get("Type"),
        "security_groups": lb.get("SecurityGroups", []),
        "subnets": [z["SubnetId"] for z in lb.get("AvailabilityZones", [])],
        "tags": elb_tags(aws, p),
    }
    attrs = safe(lambda: {a["Key"]: a["Value"] for a in aws.elb.describe_load_balancer_attributes(LoadBalancerArn=p)["Attributes"]})
    for ir, key, conv in [
        ("idle_timeout", "idle_timeout.timeout_seconds", int),
        ("drop_invalid_header_fields", "routing.http.drop_invalid_header_fields.enabled", lambda v: v == "true"),
        ("enable_deletion_protection", "deletion_protection.enabled", lambda v: v == "true"),
    ]:
        if isinstance(attrs, Err):
            got[ir] = attrs
        elif key in attrs:
            got[ir] = conv(attrs[key])
    return got


def read_target_group(aws, p, out, want):
    t = only(aws.elb.describe_target_groups(TargetGroupArns=[p])["TargetGroups"], p)
    health = pick(
        t,
        {
            "enabled": "HealthCheckEnabled",
            "path": "HealthCheckPath",
            "protocol": "HealthCheckProtocol",
            "port": "HealthCheckPort",
            "interval": "HealthCheckIntervalSeconds",
            "timeout": "HealthCheckTimeoutSeconds",
            "healthy_threshold": "HealthyThresholdCount",
            "unhealthy_threshold": "UnhealthyThresholdCount",
        },
    )
    if "Matcher" in t:
        health["matcher"] = t["Matcher"].get("HttpCode")
    got = {
        "name": t["TargetGroupName"],
        "port": t.get("Port"),
        "protocol": t.get("Protocol"),
        "target_type": t.get("TargetType"),
        "vpc_id": t.get("VpcId"),
        "health_check": health,
        "tags": elb_tags(aws, p),
    }
    attrs = safe(lambda: {a["Key"]: a["Value"] for a in aws.elb.describe_target_group_attributes(TargetGroupArn=p)["Attributes"]})
    if isinstance(attrs, Err) or "deregistration_delay.timeout_seconds" in attrs:
        got["deregistration_delay"] = attrs if isinstance(attrs, Err) else attrs["deregistration_delay.timeout_seconds"]
    return got


def elb_action(a):
    got = {"type": a.get("Type")}
    if "TargetGroupArn" in a:
        got["target_group_arn"] = a["TargetGroupArn"]
    if "FixedResponseConfig" in a:
        got["fixed_response"] = pick(a["FixedResponseConfig"], {"content_type": "ContentType", "message_body": "MessageBody", "status_code": "StatusCode"})
    if "RedirectConfig" in a:
        got["redirect"] = pick(
            a["RedirectConfig"],
            {"port": "Port", "protocol": "Protocol", "host": "Host", "path": "Path", "query": "Query", "status_code": "StatusCode"},
        )
    return got


def elb_actions(actions):
    return [elb_action(a) for a in sorted(actions or [], key=lambda a: a.get("Order", 0))]


def read_listener(aws, p, out, want):
    listener = only(aws.elb.describe_listeners(ListenerArns=[p])["Listeners"], p)
    got = {
        "load_balancer_arn": listener.get("LoadBalancerArn"),
        "port": listener.get("Port"),
        "protocol": listener.get("Protocol"),
        "default_action": elb_actions(listener.get("DefaultActions")),
        "tags": elb_tags(aws, p),
    }
    if "SslPolicy" in listener or "ssl_policy" in want:
        got["ssl_policy"] = listener.get("SslPolicy")
    certs = [c["CertificateArn"] for c in listener.get("Certificates", [])]
    if certs or "certificate_arn" in want:
        got["certificate_arn"] = certs[0] if len(certs) == 1 else certs
    return got


def elb_condition(c):
    field = c.get("Field")
    config = {"path-pattern": ("path_pattern", "PathPatternConfig"), "host-header": ("host_header", "HostHeaderConfig")}
    if field in config:
        name, key = config[field]
        values = (c.get(key) or {}).get("Values", c.get("Values", []))
        return {name: {"values": values}}
    return {"field": field, "values": c.get("Values")}


def read_listener_rule(aws, p, out, want):
    rule = only(aws.elb.describe_rules(RuleArns=[p])["Rules"], p)
    # DescribeRules names no listener: a rule's ARN is its listener's with a rule id.
    listener = p.replace(":listener-rule/", ":listener/", 1).rsplit("/", 1)[0]
    priority = rule.get("Priority")
    return {
        "listener_arn": listener,
        "priority": int(priority) if str(priority).isdigit() else priority,
        "action": elb_actions(rule.get("Actions")),
        "condition": [elb_condition(c) for c in rule.get("Conditions", [])],
        "tags": elb_tags(aws, p),
    }


def ecs_tags(items):
    return tag_dict(items, "key", "value")


def read_ecs_cluster(aws, p, out, want):
    ans = aws.ecs.describe_clusters(clusters=[p], include=["SETTINGS", "TAGS"])
    c = only([c for c in ans["clusters"] if c.get("status") == "ACTIVE"], p)
    return {"name": c["clusterName"], "setting": c.get("settings", []), "tags": ecs_tags(c.get("tags"))}


def strategy(items):
    return [pick(s, {"capacity_provider": "capacityProvider", "weight": "weight", "base": "base"}) for s in items or []]


def read_cluster_capacity_providers(aws, p, out, want):
    c = only([c for c in aws.ecs.describe_clusters(clusters=[p])["clusters"] if c.get("status") == "ACTIVE"], p)
    if not c.get("capacityProviders"):
        raise Missing(f"{p} has no capacity providers")
    return {
        "cluster_name": c["clusterName"],
        "capacity_providers": c.get("capacityProviders", []),
        "default_capacity_provider_strategy": strategy(c.get("defaultCapacityProviderStrategy")),
    }


def read_task_definition(aws, p, out, want):
    ans = aws.ecs.describe_task_definition(taskDefinition=p, include=["TAGS"])
    td = ans["taskDefinition"]
    if td.get("status") != "ACTIVE":
        raise Missing(f"{p} is {td.get('status')}")
    got = {
        "family": td.get("family"),
        "cpu": td.get("cpu"),
        "memory": td.get("memory"),
        "network_mode": td.get("networkMode"),
        "requires_compatibilities": td.get("requiresCompatibilities", []),
        "container_definitions": td.get("containerDefinitions", []),
        "tags": ecs_tags(ans.get("tags")),
    }
    for ir, key in [("execution_role_arn", "executionRoleArn"), ("task_role_arn", "taskRoleArn")]:
        if key in td or ir in want:
            got[ir] = td.get(key)
    if "runtimePlatform" in td or "runtime_platform" in want:
        got["runtime_platform"] = pick(td.get("runtimePlatform"), {"operating_system_family": "operatingSystemFamily", "cpu_architecture": "cpuArchitecture"})
    return got


def read_ecs_service(aws, p, out, want):
    ans = aws.ecs.describe_services(cluster=out.get("cluster", ""), services=[p], include=["TAGS"])
    s = only([s for s in ans["services"] if s.get("status") != "INACTIVE"], p)
    vpc = (s.get("networkConfiguration") or {}).get("awsvpcConfiguration")
    got = {
        "name": s["serviceName"],
        "cluster": s.get("clusterArn"),
        "task_definition": s.get("taskDefinition"),
        "desired_count": s.get("desiredCount"),
        "load_balancer": [pick(b, {"target_group_arn": "targetGroupArn", "container_name": "containerName", "container_port": "containerPort"}) for b in s.get("loadBalancers", [])],
        "deployment_controller": pick(s.get("deploymentController"), {"type": "type"}),
        "propagate_tags": s.get("propagateTags"),
        "tags": ecs_tags(s.get("tags")),
    }
    if vpc is not None:
        net = pick(vpc, {"subnets": "subnets", "security_groups": "securityGroups"})
        if "assignPublicIp" in vpc:
            net["assign_public_ip"] = vpc["assignPublicIp"] == "ENABLED"
        got["network_configuration"] = net
    # Kept by AWS always; by moto only after an UpdateService (see MOTO_GAPS).
    if "capacityProviderStrategy" in s:
        got["capacity_provider_strategy"] = strategy(s["capacityProviderStrategy"])
    if "healthCheckGracePeriodSeconds" in s:
        got["health_check_grace_period_seconds"] = s["healthCheckGracePeriodSeconds"]
    if "enableECSManagedTags" in s:
        got["enable_ecs_managed_tags"] = s["enableECSManagedTags"]
    conf = s.get("deploymentConfiguration")
    if conf:
        got.update(pick(conf, {"deployment_minimum_healthy_percent": "minimumHealthyPercent", "deployment_maximum_percent": "maximumPercent"}))
        if "deploymentCircuitBreaker" in conf:
            got["deployment_circuit_breaker"] = pick(conf["deploymentCircuitBreaker"], {"enable": "enable", "rollback": "rollback"})
    return got


def read_iam_role(aws, p, out, want):
    name = out.get("name") or p.rsplit("/", 1)[-1]
    role = aws.iam.get_role(RoleName=name)["Role"]
    return {
        "name": role["RoleName"],
        "assume_role_policy": doc(role.get("AssumeRolePolicyDocument")),
        "description": role.get("Description"),
        "tags": safe(lambda: tag_dict(aws.iam.list_role_tags(RoleName=name)["Tags"])),
    }


def read_iam_role_policy(aws, p, out, want):
    role, name = p.split(":", 1)
    ans = aws.iam.get_role_policy(RoleName=role, PolicyName=name)
    return {"role": ans["RoleName"], "name": ans["PolicyName"], "policy": doc(ans["PolicyDocument"])}


def read_iam_role_policy_attachment(aws, p, out, want):
    role, arn = p.split("|", 1)
    attached = aws.iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    only([a for a in attached if a["PolicyArn"] == arn], p)
    return {"role": role, "policy_arn": arn}


def read_log_group(aws, p, out, want):
    groups = aws.logs.describe_log_groups(logGroupNamePrefix=p)["logGroups"]
    g = only([g for g in groups if g["logGroupName"] == p], p)
    got = {
        "name": g["logGroupName"],
        "tags": safe(lambda: aws.logs.list_tags_log_group(logGroupName=p)["tags"]),
    }
    if "retentionInDays" in g or "retention_in_days" in want:
        got["retention_in_days"] = g.get("retentionInDays")
    if "kmsKeyId" in g or "kms_key_id" in want:
        got["kms_key_id"] = g.get("kmsKeyId")
    return got


def read_kms_key(aws, p, out, want):
    meta = aws.kms.describe_key(KeyId=p)["KeyMetadata"]
    if meta.get("KeyState") != "Enabled":
        raise Missing(f"{p} is {meta.get('KeyState')}")
    return {
        "description": meta.get("Description"),
        "enable_key_rotation": safe(lambda: aws.kms.get_key_rotation_status(KeyId=p)["KeyRotationEnabled"]),
        "policy": safe(lambda: doc(aws.kms.get_key_policy(KeyId=p, PolicyName="default")["Policy"])),
        "tags": safe(lambda: tag_dict(aws.kms.list_resource_tags(KeyId=p)["Tags"], "TagKey", "TagValue")),
    }


def read_scalable_target(aws, p, out, want):
    ns = out.get("service_namespace") or "ecs"
    targets = aws.asg.describe_scalable_targets(ServiceNamespace=ns, ResourceIds=[p])["ScalableTargets"]
    t = only([t for t in targets if t["ResourceId"] == p and t["ScalableDimension"] == out.get("scalable_dimension", t["ScalableDimension"])], p)
    return {
        "service_namespace": t["ServiceNamespace"],
        "scalable_dimension": t["ScalableDimension"],
        "resource_id": t["ResourceId"],
        "min_capacity": t.get("MinCapacity"),
        "max_capacity": t.get("MaxCapacity"),
        # Tags: ListTagsForResource(ScalableTargetARN); moto has none (MOTO_GAPS).
    }


def read_scaling_policy(aws, p, out, want):
    name = out.get("name", "")
    ns = want.get("service_namespace") or "ecs"
    policies = aws.asg.describe_scaling_policies(ServiceNamespace=ns, PolicyNames=[name])["ScalingPolicies"]
    x = only([x for x in policies if x["PolicyName"] == name and x.get("PolicyARN", p) == p], p)
    got = {
        "name": x["PolicyName"],
        "policy_type": x.get("PolicyType"),
        "resource_id": x.get("ResourceId"),
        "scalable_dimension": x.get("ScalableDimension"),
        "service_namespace": x.get("ServiceNamespace"),
    }
    tt = x.get("TargetTrackingScalingPolicyConfiguration")
    if tt is not None:
        got["target_tracking_scaling_policy_configuration"] = pick(
            tt, {"target_value": "TargetValue", "scale_in_cooldown": "ScaleInCooldown", "scale_out_cooldown": "ScaleOutCooldown", "disable_scale_in": "DisableScaleIn"}
        )
        if "PredefinedMetricSpecification" in tt:
            got["target_tracking_scaling_policy_configuration"]["predefined_metric_specification"] = pick(
                tt["PredefinedMetricSpecification"], {"predefined_metric_type": "PredefinedMetricType", "resource_label": "ResourceLabel"}
            )
    st = x.get("StepScalingPolicyConfiguration")
    if st is not None:
        conf = pick(st, {"adjustment_type": "AdjustmentType", "cooldown": "Cooldown", "metric_aggregation_type": "MetricAggregationType", "min_adjustment_magnitude": "MinAdjustmentMagnitude"})
        conf["step_adjustment"] = [
            pick(a, {"metric_interval_lower_bound": "MetricIntervalLowerBound", "metric_interval_upper_bound": "MetricIntervalUpperBound", "scaling_adjustment": "ScalingAdjustment"})
            for a in st.get("StepAdjustments", [])
        ]
        got["step_scaling_policy_configuration"] = conf
    return got


def read_scheduled_action(aws, p, out, want):
    resource, name = p.rsplit("|", 1)
    ns = want.get("service_namespace") or "ecs"
    actions = aws.asg.describe_scheduled_actions(ServiceNamespace=ns, ScheduledActionNames=[name], ResourceId=resource)["ScheduledActions"]
    a = only([a for a in actions if a["ScheduledActionName"] == name and a["ResourceId"] == resource], p)
    got = {
        "name": a["ScheduledActionName"],
        "resource_id": a["ResourceId"],
        "scalable_dimension": a.get("ScalableDimension"),
        "service_namespace": a.get("ServiceNamespace"),
        "schedule": a.get("Schedule"),
        "scalable_target_action": pick(a.get("ScalableTargetAction"), {"min_capacity": "MinCapacity", "max_capacity": "MaxCapacity"}),
    }
    if "Timezone" in a or "timezone" in want:
        got["timezone"] = a.get("Timezone")
    return got


def read_alarm(aws, p, out, want):
    a = only(aws.cw.describe_alarms(AlarmNames=[p])["MetricAlarms"], p)
    got = {
        "alarm_name": a["AlarmName"],
        "namespace": a.get("Namespace"),
        "metric_name": a.get("MetricName"),
        "statistic": a.get("Statistic"),
        "comparison_operator": a.get("ComparisonOperator"),
        "threshold": a.get("Threshold"),
        "period": a.get("Period"),
        "evaluation_periods": a.get("EvaluationPeriods"),
        "dimensions": {d["Name"]: d["Value"] for d in a.get("Dimensions", [])},
        "alarm_actions": a.get("AlarmActions", []),
        "tags": safe(lambda: tag_dict(aws.cw.list_tags_for_resource(ResourceARN=a["AlarmArn"])["Tags"])),
    }
    for ir, key in [("alarm_description", "AlarmDescription"), ("treat_missing_data", "TreatMissingData")]:
        if key in a or ir in want:
            got[ir] = a.get(key)
    return got


def codedeploy_tags(aws, resource):
    return safe(lambda: tag_dict(aws.cd.list_tags_for_resource(ResourceArn=aws.arn("codedeploy", resource))["Tags"]))


def read_codedeploy_app(aws, p, out, want):
    a = aws.cd.get_application(applicationName=p)["application"]
    return {"name": a["applicationName"], "compute_platform": a.get("computePlatform"), "tags": codedeploy_tags(aws, f"application:{p}")}


def read_deployment_group(aws, p, out, want):
    app, group = p.split("|", 1)
    g = aws.cd.get_deployment_group(applicationName=app, deploymentGroupName=group)["deploymentGroupInfo"]
    got = {
        "app_name": g.get("applicationName"),
        "deployment_group_name": g.get("deploymentGroupName"),
        "deployment_config_name": g.get("deploymentConfigName"),
        "service_role_arn": g.get("serviceRoleArn"),
        "auto_rollback_configuration": pick(g.get("autoRollbackConfiguration"), {"enabled": "enabled", "events": "events"}),
        "deployment_style": pick(g.get("deploymentStyle"), {"deployment_option": "deploymentOption", "deployment_type": "deploymentType"}),
        "ecs_service": [pick(e, {"cluster_name": "clusterName", "service_name": "serviceName"}) for e in g.get("ecsServices", [])],
        "tags": codedeploy_tags(aws, f"deploymentgroup:{app}/{group}"),
    }
    if g.get("alarmConfiguration"):  # moto answers {} (MOTO_GAPS)
        ac = g["alarmConfiguration"]
        got["alarm_configuration"] = {"enabled": ac.get("enabled"), "alarms": [x.get("name") for x in ac.get("alarms", [])]}
    bg = g.get("blueGreenDeploymentConfiguration") or {}
    conf = {}
    if "deploymentReadyOption" in bg:
        conf["deployment_ready_option"] = pick(bg["deploymentReadyOption"], {"action_on_timeout": "actionOnTimeout", "wait_time_in_minutes": "waitTimeInMinutes"})
    if "terminateBlueInstancesOnDeploymentSuccess" in bg:
        conf["terminate_blue_instances_on_deployment_success"] = pick(
            bg["terminateBlueInstancesOnDeploymentSuccess"], {"action": "action", "termination_wait_time_in_minutes": "terminationWaitTimeInMinutes"}
        )
    got["blue_green_deployment_config"] = conf
    pairs = []
    for pair in (g.get("loadBalancerInfo") or {}).get("targetGroupPairInfoList", []):
        info = {"target_group": [pick(t, {"name": "name"}) for t in pair.get("targetGroups", [])]}
        for ir, key in [("prod_traffic_route", "prodTrafficRoute"), ("test_traffic_route", "testTrafficRoute")]:
            if key in pair:
                info[ir] = {"listener_arns": pair[key].get("listenerArns", [])}
        pairs.append(info)
    got["load_balancer_info"] = {"target_group_pair_info": pairs}
    return got


def read_deployment_config(aws, p, out, want):
    c = aws.cd.get_deployment_config(deploymentConfigName=p)["deploymentConfigInfo"]
    got = {"deployment_config_name": c["deploymentConfigName"], "compute_platform": c.get("computePlatform")}
    tr = c.get("trafficRoutingConfig")
    if tr is not None:
        conf = {"type": tr.get("type")}
        if "timeBasedCanary" in tr:
            conf["time_based_canary"] = pick(tr["timeBasedCanary"], {"interval": "canaryInterval", "percentage": "canaryPercentage"})
        if "timeBasedLinear" in tr:
            conf["time_based_linear"] = pick(tr["timeBasedLinear"], {"interval": "linearInterval", "percentage": "linearPercentage"})
        got["traffic_routing_config"] = conf
    return got


def rds_tags(aws, arn):
    return safe(lambda: tag_dict(aws.rds.list_tags_for_resource(ResourceName=arn)["TagList"]))


def read_db_subnet_group(aws, p, out, want):
    g = only(aws.rds.describe_db_subnet_groups(DBSubnetGroupName=p)["DBSubnetGroups"], p)
    return {
        "name": g["DBSubnetGroupName"],
        "description": g.get("DBSubnetGroupDescription"),
        "subnet_ids": [s["SubnetIdentifier"] for s in g.get("Subnets", [])],
        "tags": rds_tags(aws, g["DBSubnetGroupArn"]),
    }


def read_db_instance(aws, p, out, want):
    d = only(aws.rds.describe_db_instances(DBInstanceIdentifier=p)["DBInstances"], p)
    got = pick(
        d,
        {
            "identifier": "DBInstanceIdentifier",
            "engine": "Engine",
            "engine_version": "EngineVersion",
            "instance_class": "DBInstanceClass",
            "allocated_storage": "AllocatedStorage",
            "max_allocated_storage": "MaxAllocatedStorage",
            "storage_type": "StorageType",
            "storage_encrypted": "StorageEncrypted",
            "db_name": "DBName",
            "username": "MasterUsername",
            "multi_az": "MultiAZ",
            "publicly_accessible": "PubliclyAccessible",
            "iam_database_authentication_enabled": "IAMDatabaseAuthenticationEnabled",
            "backup_retention_period": "BackupRetentionPeriod",
            "backup_window": "PreferredBackupWindow",
            "maintenance_window": "PreferredMaintenanceWindow",
            "auto_minor_version_upgrade": "AutoMinorVersionUpgrade",
            "copy_tags_to_snapshot": "CopyTagsToSnapshot",
            "deletion_protection": "DeletionProtection",
            "monitoring_interval": "MonitoringInterval",
            "monitoring_role_arn": "MonitoringRoleArn",
            "performance_insights_enabled": "PerformanceInsightsEnabled",
            "performance_insights_retention_period": "PerformanceInsightsRetentionPeriod",
        },
    )
    got["enabled_cloudwatch_logs_exports"] = d.get("EnabledCloudwatchLogsExports", [])
    got["vpc_security_group_ids"] = [g["VpcSecurityGroupId"] for g in d.get("VpcSecurityGroups", [])]
    got["db_subnet_group_name"] = (d.get("DBSubnetGroup") or {}).get("DBSubnetGroupName")
    got["port"] = (d.get("Endpoint") or {}).get("Port", d.get("DbInstancePort"))
    # RDS keeps a master password it manages as a Secrets Manager secret.
    got["manage_master_user_password"] = bool((d.get("MasterUserSecret") or {}).get("SecretArn"))
    got["tags"] = tag_dict(d["TagList"]) if "TagList" in d else rds_tags(aws, d["DBInstanceArn"])
    return got


def read_ecr_repository(aws, p, out, want):
    r = only(aws.ecr.describe_repositories(repositoryNames=[p])["repositories"], p)
    got = {
        "name": r["repositoryName"],
        "image_tag_mutability": r.get("imageTagMutability"),
        "image_scanning_configuration": pick(r.get("imageScanningConfiguration"), {"scan_on_push": "scanOnPush"}),
        "tags": safe(lambda: tag_dict(aws.ecr.list_tags_for_resource(resourceArn=r["repositoryArn"])["tags"])),
    }
    if "encryptionConfiguration" in r:
        got["encryption_configuration"] = pick(r["encryptionConfiguration"], {"encryption_type": "encryptionType", "kms_key": "kmsKey"})
    return got


def read_ecr_lifecycle_policy(aws, p, out, want):
    ans = aws.ecr.get_lifecycle_policy(repositoryName=p)
    return {"repository": ans["repositoryName"], "policy": doc(ans["lifecyclePolicyText"])}


def read_api(aws, p, out, want):
    a = aws.apigw.get_api(ApiId=p)
    got = {"name": a["Name"], "protocol_type": a.get("ProtocolType"), "tags": a.get("Tags", {})}
    if "Description" in a or "description" in want:
        got["description"] = a.get("Description")
    if "CorsConfiguration" in a or "cors_configuration" in want:
        got["cors_configuration"] = pick(
            a.get("CorsConfiguration"),
            {
                "allow_origins": "AllowOrigins",
                "allow_methods": "AllowMethods",
                "allow_headers": "AllowHeaders",
                "expose_headers": "ExposeHeaders",
                "allow_credentials": "AllowCredentials",
                "max_age": "MaxAge",
            },
        )
    return got


def read_vpc_link(aws, p, out, want):
    v = aws.apigw.get_vpc_link(VpcLinkId=p)
    return {"name": v["Name"], "security_group_ids": v.get("SecurityGroupIds", []), "subnet_ids": v.get("SubnetIds", []), "tags": v.get("Tags", {})}


def read_authorizer(aws, p, out, want):
    api = out.get("api_id", "")
    a = aws.apigw.get_authorizer(ApiId=api, AuthorizerId=p)
    got = {"api_id": api, "name": a.get("Name"), "authorizer_type": a.get("AuthorizerType"), "identity_sources": a.get("IdentitySource", [])}
    if "JwtConfiguration" in a or "jwt_configuration" in want:
        got["jwt_configuration"] = pick(a.get("JwtConfiguration"), {"issuer": "Issuer", "audience": "Audience"})
    return got


def read_integration(aws, p, out, want):
    api = out.get("api_id", "")
    i = aws.apigw.get_integration(ApiId=api, IntegrationId=p)
    got = {"api_id": api}
    got.update(
        pick(
            i,
            {
                "connection_id": "ConnectionId",
                "connection_type": "ConnectionType",
                "description": "Description",
                "integration_method": "IntegrationMethod",
                "integration_type": "IntegrationType",
                "integration_uri": "IntegrationUri",
                "payload_format_version": "PayloadFormatVersion",
                "timeout_milliseconds": "TimeoutInMillis",
            },
        )
    )
    return got


def read_route_v2(aws, p, out, want):
    api = out.get("api_id", "")
    r = aws.apigw.get_route(ApiId=api, RouteId=p)
    got = {"api_id": api}
    got.update(pick(r, {"route_key": "RouteKey", "authorization_type": "AuthorizationType", "authorizer_id": "AuthorizerId", "target": "Target"}))
    return got


def read_stage(aws, p, out, want):
    api = out.get("api_id", "")
    s = aws.apigw.get_stage(ApiId=api, StageName=p)
    got = {"api_id": api, "name": s["StageName"], "auto_deploy": s.get("AutoDeploy"), "tags": s.get("Tags", {})}
    if "AccessLogSettings" in s:
        logs = pick(s["AccessLogSettings"], {"destination_arn": "DestinationArn", "format": "Format"})
        if "format" in logs:
            logs["format"] = safe(lambda: doc(logs["format"]))
        got["access_log_settings"] = logs
    if "DefaultRouteSettings" in s:
        got["default_route_settings"] = pick(
            s["DefaultRouteSettings"],
            {
                "throttling_rate_limit": "ThrottlingRateLimit",
                "throttling_burst_limit": "ThrottlingBurstLimit",
                "detailed_metrics_enabled": "DetailedMetricsEnabled",
            },
        )
    return got


READERS = {
    "aws_vpc": read_vpc,
    "aws_subnet": read_subnet,
    "aws_internet_gateway": read_internet_gateway,
    "aws_route_table": read_route_table,
    "aws_route": read_route,
    "aws_route_table_association": read_route_table_association,
    "aws_eip": read_eip,
    "aws_nat_gateway": read_nat_gateway,
    "aws_security_group": read_security_group,
    "aws_default_security_group": read_default_security_group,
    "aws_vpc_security_group_ingress_rule": read_sg_rule(egress=False),
    "aws_vpc_security_group_egress_rule": read_sg_rule(egress=True),
    "aws_flow_log": read_flow_log,
    "aws_vpc_endpoint": read_vpc_endpoint,
    "aws_lb": read_lb,
    "aws_lb_target_group": read_target_group,
    "aws_lb_listener": read_listener,
    "aws_lb_listener_rule": read_listener_rule,
    "aws_ecs_cluster": read_ecs_cluster,
    "aws_ecs_cluster_capacity_providers": read_cluster_capacity_providers,
    "aws_ecs_task_definition": read_task_definition,
    "aws_ecs_service": read_ecs_service,
    "aws_iam_role": read_iam_role,
    "aws_iam_role_policy": read_iam_role_policy,
    "aws_iam_role_policy_attachment": read_iam_role_policy_attachment,
    "aws_cloudwatch_log_group": read_log_group,
    "aws_kms_key": read_kms_key,
    "aws_appautoscaling_target": read_scalable_target,
    "aws_appautoscaling_policy": read_scaling_policy,
    "aws_appautoscaling_scheduled_action": read_scheduled_action,
    "aws_cloudwatch_metric_alarm": read_alarm,
    "aws_codedeploy_app": read_codedeploy_app,
    "aws_codedeploy_deployment_group": read_deployment_group,
    "aws_codedeploy_deployment_config": read_deployment_config,
    "aws_db_subnet_group": read_db_subnet_group,
    "aws_db_instance": read_db_instance,
    "aws_ecr_repository": read_ecr_repository,
    "aws_ecr_lifecycle_policy": read_ecr_lifecycle_policy,
    "aws_apigatewayv2_api": read_api,
    "aws_apigatewayv2_vpc_link": read_vpc_link,
    "aws_apigatewayv2_authorizer": read_authorizer,
    "aws_apigatewayv2_integration": read_integration,
    "aws_apigatewayv2_route": read_route_v2,
    "aws_apigatewayv2_stage": read_stage,
}


# ---------------------------------------------------------------------------------------


def wanted(resource, ir_tags, resolver):
    """The resource's attributes as plain values; repeated top-level names become lists."""
    pairs = resource.get("attrs", [])
    names = [n for n, _ in pairs]
    want = {}
    for name, val in pairs:
        v = resolver.plain(val)
        if (resource["kind"], name) in PARTIAL_JSON:
            v = to_partial(v)
        if names.count(name) > 1:
            want.setdefault(name, []).append(v)
        else:
            want[name] = v
    if "tags" in want:
        want["tags"] = Exact({**ir_tags, **(want["tags"] or {})})
    return want


def moto_unimplemented(e):
    """moto answers an action it does not implement with an HTML 500 page."""
    return isinstance(e, botocore.exceptions.ClientError) and e.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 500


class Report:
    def __init__(self):
        self.checked = 0
        self.mismatches = []
        self.missing = []
        self.skipped = {}

    def mismatch(self, id, kind, attr, want, got):
        self.mismatches.append({"id": id, "kind": kind, "attr": attr, "want": jsonable(want), "got": jsonable(got)})

    def skip(self, kind, attr, reason):
        self.skipped.setdefault((kind, attr), reason)

    def json(self):
        return {
            "checked": self.checked,
            "mismatches": self.mismatches,
            "unchecked": [{"kind": k, "attr": a, "reason": why} for (k, a), why in sorted(self.skipped.items())],
            "missing": self.missing,
        }


def check_resource(aws, report, r, want, have):
    """Reads one resource and compares each attribute the IR gives it."""
    id, kind = r["id"], r["kind"]
    elsewhere = set(r.get("managed_elsewhere", []))
    try:
        got = READERS[kind](aws, have.get("physical", ""), have.get("outputs", {}), want)
    except Missing:
        report.missing.append(id)
        return
    except Exception as e:  # noqa: BLE001 - any answer becomes a report entry
        if not_found(e):
            report.missing.append(id)
            return
        if not (moto_unimplemented(e) and all((kind, a) in MOTO_GAPS or a in elsewhere for a in want)):
            report.mismatch(id, kind, "*", "readable", describe_error(e))
            return
        got = {}  # moto cannot read this kind at all: every attribute is a listed gap
    for attr, w in want.items():
        if attr in elsewhere:
            report.skip(kind, attr, MANAGED_ELSEWHERE)
            continue
        if (kind, attr) in NOT_STORED:
            report.skip(kind, attr, NOT_STORED[(kind, attr)])
            continue
        if attr not in got:
            if (kind, attr) in MOTO_GAPS:
                report.skip(kind, attr, MOTO_GAPS[(kind, attr)])
                continue
            got[attr] = ABSENT
        report.checked += 1
        found = []
        diff(w, got[attr], attr, attr, kind, found)
        for path, wv, gv in found:
            report.mismatch(id, kind, path, wv, gv)


def check(endpoint, region, ir, state):
    aws = Aws(endpoint, region)
    resolver = Resolver(state, ir, aws)
    recorded = state.get("resources", {})
    report = Report()
    by_id = {r["id"]: r for r in ir.get("resources", []) if not r.get("data")}
    for id, r in by_id.items():
        kind = r.get("kind", "")
        if id not in recorded:
            report.mismatch(id, kind, "*", "recorded in fgc's state (applied)", "absent from the state")
        elif kind not in READERS:
            report.skip(kind, "*", "readback.py has no reader for this kind")
        else:
            try:
                check_resource(aws, report, r, wanted(r, ir.get("tags", {}), resolver), recorded[id])
            except Exception as e:  # noqa: BLE001 - an unexpected answer never stops the others
                report.mismatch(id, kind, "*", "readable", describe_error(e))

    # Every resource the state records must exist, also those the IR no longer has.
    for id, have in recorded.items():
        if id in by_id or have.get("kind") not in READERS:
            continue
        try:
            READERS[have["kind"]](aws, have.get("physical", ""), have.get("outputs", {}), {})
        except Missing:
            report.missing.append(id)
        except Exception as e:  # noqa: BLE001
            if not_found(e):
                report.missing.append(id)
    return report.json()


def main(argv):
    if len(argv) != 5:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    endpoint, region, ir_path, state_path = argv[1:]
    try:
        with open(ir_path) as f:
            ir = json.load(f)
        with open(state_path) as f:
            state = json.load(f)
        report = check(endpoint, region, ir, state)
    except Exception as e:  # noqa: BLE001 - the report is the result, never a traceback
        report = {"checked": 0, "mismatches": [{"id": "*", "kind": "*", "attr": "*", "want": "readable", "got": describe_error(e)}], "unchecked": [], "missing": []}
    print(json.dumps(report, indent=1, sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
