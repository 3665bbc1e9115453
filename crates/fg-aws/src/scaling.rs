//! Application Auto Scaling (targets, target tracking and step policies, scheduled
//! actions), CloudWatch alarms, CodeDeploy blue/green, and RDS.

use aws_sdk_applicationautoscaling::types::{
    MetricAggregationType, MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension,
    ScalableTargetAction, ServiceNamespace, StepAdjustment, StepScalingPolicyConfiguration,
    TargetTrackingScalingPolicyConfiguration,
};
use fg_deploy::{CloudError, Created, Deployed, Resolved};
use serde_json::Value;

use crate::{Aws, boolean, created, error, field, int, s, text};

pub const KINDS: &[&str] = &[
    "aws_appautoscaling_target",
    "aws_appautoscaling_policy",
    "aws_appautoscaling_scheduled_action",
    "aws_cloudwatch_metric_alarm",
    "aws_codedeploy_app",
    "aws_codedeploy_deployment_group",
    "aws_codedeploy_deployment_config",
    "aws_db_subnet_group",
    "aws_db_instance",
];

fn number(v: &Value, k: &str) -> Option<f64> {
    field(v, k).and_then(|x| x.as_f64().or_else(|| x.as_str().and_then(|s| s.parse().ok())))
}

fn target_key(r: &Resolved) -> (ServiceNamespace, ScalableDimension, String) {
    (
        ServiceNamespace::from(s(r, "service_namespace")),
        ScalableDimension::from(s(r, "scalable_dimension")),
        s(r, "resource_id").to_string(),
    )
}

pub async fn adopt(aws: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    match r.kind.as_str() {
        "aws_db_instance" => {
            let out = aws.rds.describe_db_instances().db_instance_identifier(s(r, "identifier")).send().await;
            match out {
                Ok(o) => Ok(o.db_instances().first().map(db_created)),
                Err(e) => {
                    let e = error("rds:DescribeDBInstances", e);
                    if e.message.contains("NotFound") { Ok(None) } else { Err(e) }
                }
            }
        }
        "aws_appautoscaling_target" => {
            let (ns, _, id) = target_key(r);
            let out = aws
                .scaling
                .describe_scalable_targets()
                .service_namespace(ns)
                .resource_ids(&id)
                .send()
                .await
                .map_err(|e| error("application-autoscaling:DescribeScalableTargets", e))?;
            let found = out.scalable_targets().iter().any(|t| t.resource_id() == id);
            Ok(found.then(|| {
                created(
                    &id,
                    &[
                        ("resource_id", &id),
                        ("service_namespace", s(r, "service_namespace")),
                        ("scalable_dimension", s(r, "scalable_dimension")),
                    ],
                )
            }))
        }
        "aws_appautoscaling_policy" => {
            let (ns, _, _) = target_key(r);
            let name = s(r, "name");
            let out = aws
                .scaling
                .describe_scaling_policies()
                .service_namespace(ns)
                .policy_names(name)
                .send()
                .await
                .map_err(|e| error("application-autoscaling:DescribeScalingPolicies", e))?;
            Ok(out
                .scaling_policies()
                .iter()
                .find(|p| p.policy_name() == name)
                .map(|p| created(p.policy_arn(), &[("arn", p.policy_arn()), ("name", name)])))
        }
        "aws_appautoscaling_scheduled_action" => {
            let (ns, _, id) = target_key(r);
            let name = s(r, "name");
            let out = aws
                .scaling
                .describe_scheduled_actions()
                .service_namespace(ns)
                .scheduled_action_names(name)
                .send()
                .await
                .map_err(|e| error("application-autoscaling:DescribeScheduledActions", e))?;
            let found = out.scheduled_actions().iter().any(|a| a.scheduled_action_name() == name);
            Ok(found.then(|| created(&format!("{id}|{name}"), &[("name", name), ("resource_id", &id)])))
        }
        "aws_cloudwatch_metric_alarm" => {
            let name = s(r, "alarm_name");
            let out = aws
                .cloudwatch
                .describe_alarms()
                .alarm_names(name)
                .send()
                .await
                .map_err(|e| error("cloudwatch:DescribeAlarms", e))?;
            let found = out.metric_alarms().iter().any(|a| a.alarm_name() == Some(name));
            Ok(found.then(|| created(name, &[("alarm_name", name)])))
        }
        "aws_codedeploy_app" => {
            let name = s(r, "name");
            let found = aws.codedeploy.get_application().application_name(name).send().await.is_ok();
            Ok(found.then(|| created(name, &[("name", name)])))
        }
        "aws_codedeploy_deployment_config" => {
            let name = s(r, "deployment_config_name");
            let found = aws.codedeploy.get_deployment_config().deployment_config_name(name).send().await.is_ok();
            Ok(found.then(|| created(name, &[("deployment_config_name", name)])))
        }
        "aws_codedeploy_deployment_group" => {
            let (app, group) = (s(r, "app_name"), s(r, "deployment_group_name"));
            let found = aws
                .codedeploy
                .get_deployment_group()
                .application_name(app)
                .deployment_group_name(group)
                .send()
                .await
                .is_ok();
            Ok(found
                .then(|| created(&format!("{app}|{group}"), &[("app_name", app), ("deployment_group_name", group)])))
        }
        "aws_db_subnet_group" => {
            let name = s(r, "name");
            let found = aws.rds.describe_db_subnet_groups().db_subnet_group_name(name).send().await.is_ok();
            Ok(found.then(|| created(name, &[("name", name)])))
        }
        _ => Ok(None),
    }
}

fn db_created(db: &aws_sdk_rds::types::DbInstance) -> Created {
    let id = db.db_instance_identifier().unwrap_or_default();
    let endpoint = db.endpoint();
    let port = endpoint.and_then(|e| e.port()).map(|p| p.to_string()).unwrap_or_default();
    let secret = db.master_user_secret().and_then(|s| s.secret_arn()).unwrap_or_default();
    created(
        id,
        &[
            ("identifier", id),
            ("arn", db.db_instance_arn().unwrap_or_default()),
            ("address", endpoint.and_then(|e| e.address()).unwrap_or_default()),
            ("port", &port),
            ("db_name", db.db_name().unwrap_or_default()),
            ("username", db.master_username().unwrap_or_default()),
            ("master_user_secret[0].secret_arn", secret),
        ],
    )
}

pub async fn create(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    aws.mutate();
    put(aws, r, None).await
}

pub async fn update(aws: &Aws, r: &Resolved, have: &Deployed, _changed: &[&str]) -> Result<Created, CloudError> {
    aws.mutate();
    put(aws, r, Some(have)).await
}

/// Create, or update in place where the API is a "put".
async fn put(aws: &Aws, r: &Resolved, have: Option<&Deployed>) -> Result<Created, CloudError> {
    match r.kind.as_str() {
        "aws_appautoscaling_target" => {
            let (ns, dim, id) = target_key(r);
            aws.scaling
                .register_scalable_target()
                .service_namespace(ns)
                .scalable_dimension(dim)
                .resource_id(&id)
                .set_min_capacity(int(r, "min_capacity").map(|n| n as i32))
                .set_max_capacity(int(r, "max_capacity").map(|n| n as i32))
                .send()
                .await
                .map_err(|e| error("application-autoscaling:RegisterScalableTarget", e))?;
            Ok(created(
                &id,
                &[
                    ("resource_id", &id),
                    ("service_namespace", s(r, "service_namespace")),
                    ("scalable_dimension", s(r, "scalable_dimension")),
                ],
            ))
        }
        "aws_appautoscaling_policy" => {
            let (ns, dim, id) = target_key(r);
            let mut call = aws
                .scaling
                .put_scaling_policy()
                .policy_name(s(r, "name"))
                .service_namespace(ns)
                .scalable_dimension(dim)
                .resource_id(&id)
                .policy_type(PolicyType::from(s(r, "policy_type")));
            if let Some(t) = r.get("target_tracking_scaling_policy_configuration") {
                let metric = field(t, "predefined_metric_specification").map(|m| {
                    PredefinedMetricSpecification::builder()
                        .predefined_metric_type(MetricType::from(
                            text(m, "predefined_metric_type").unwrap_or_default().as_str(),
                        ))
                        .set_resource_label(text(m, "resource_label"))
                        .build()
                });
                let metric = metric.transpose().map_err(|e| CloudError::new(format!("invalid metric: {e}")))?;
                let config = TargetTrackingScalingPolicyConfiguration::builder()
                    .target_value(number(t, "target_value").unwrap_or(70.0))
                    .set_scale_in_cooldown(number(t, "scale_in_cooldown").map(|n| n as i32))
                    .set_scale_out_cooldown(number(t, "scale_out_cooldown").map(|n| n as i32))
                    .set_predefined_metric_specification(metric)
                    .build()
                    .map_err(|e| CloudError::new(format!("invalid target tracking: {e}")))?;
                call = call.target_tracking_scaling_policy_configuration(config);
            }
            if let Some(st) = r.get("step_scaling_policy_configuration") {
                let steps: Vec<StepAdjustment> = field(st, "step_adjustment")
                    .map(|v| match v {
                        Value::Array(a) => a.clone(),
                        other => vec![other.clone()],
                    })
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|a| {
                        StepAdjustment::builder()
                            .set_metric_interval_lower_bound(number(a, "metric_interval_lower_bound"))
                            .set_metric_interval_upper_bound(number(a, "metric_interval_upper_bound"))
                            .scaling_adjustment(number(a, "scaling_adjustment").unwrap_or(0.0) as i32)
                            .build()
                            .ok()
                    })
                    .collect();
                let config = StepScalingPolicyConfiguration::builder()
                    .set_adjustment_type(
                        text(st, "adjustment_type")
                            .map(|t| aws_sdk_applicationautoscaling::types::AdjustmentType::from(t.as_str())),
                    )
                    .set_cooldown(number(st, "cooldown").map(|n| n as i32))
                    .set_metric_aggregation_type(
                        text(st, "metric_aggregation_type").map(|t| MetricAggregationType::from(t.as_str())),
                    )
                    .set_step_adjustments(Some(steps))
                    .build();
                call = call.step_scaling_policy_configuration(config);
            }
            let out = call.send().await.map_err(|e| error("application-autoscaling:PutScalingPolicy", e))?;
            let arn = out.policy_arn();
            Ok(created(arn, &[("arn", arn), ("name", s(r, "name"))]))
        }
        "aws_appautoscaling_scheduled_action" => {
            let (ns, dim, id) = target_key(r);
            let action = r.get("scalable_target_action").map(|a| {
                ScalableTargetAction::builder()
                    .set_min_capacity(number(a, "min_capacity").map(|n| n as i32))
                    .set_max_capacity(number(a, "max_capacity").map(|n| n as i32))
                    .build()
            });
            aws.scaling
                .put_scheduled_action()
                .scheduled_action_name(s(r, "name"))
                .service_namespace(ns)
                .scalable_dimension(dim)
                .resource_id(&id)
                .schedule(s(r, "schedule"))
                .set_timezone(r.str("timezone").map(str::to_string))
                .set_scalable_target_action(action)
                .send()
                .await
                .map_err(|e| error("application-autoscaling:PutScheduledAction", e))?;
            Ok(created(&format!("{id}|{}", s(r, "name")), &[("name", s(r, "name")), ("resource_id", &id)]))
        }
        "aws_cloudwatch_metric_alarm" => {
            let dims: Vec<aws_sdk_cloudwatch::types::Dimension> = r
                .get("dimensions")
                .and_then(Value::as_object)
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| {
                            aws_sdk_cloudwatch::types::Dimension::builder()
                                .name(k)
                                .value(v.as_str().unwrap_or_default())
                                .build()
                        })
                        .collect()
                })
                .unwrap_or_default();
            let tags =
                aws.tags(r).into_iter().map(|(k, v)| aws_sdk_cloudwatch::types::Tag::builder().key(k).value(v).build());
            aws.cloudwatch
                .put_metric_alarm()
                .alarm_name(s(r, "alarm_name"))
                .set_alarm_description(r.str("alarm_description").map(str::to_string))
                .namespace(s(r, "namespace"))
                .metric_name(s(r, "metric_name"))
                .statistic(aws_sdk_cloudwatch::types::Statistic::from(s(r, "statistic")))
                .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::from(s(r, "comparison_operator")))
                .threshold(r.get("threshold").and_then(Value::as_f64).unwrap_or(0.0))
                .period(int(r, "period").unwrap_or(60) as i32)
                .evaluation_periods(int(r, "evaluation_periods").unwrap_or(1) as i32)
                .set_treat_missing_data(r.str("treat_missing_data").map(str::to_string))
                .set_dimensions(Some(dims))
                .set_alarm_actions(Some(crate::strings(r, "alarm_actions")))
                .set_tags(Some(tags.collect()))
                .send()
                .await
                .map_err(|e| error("cloudwatch:PutMetricAlarm", e))?;
            Ok(created(s(r, "alarm_name"), &[("alarm_name", s(r, "alarm_name"))]))
        }
        "aws_codedeploy_app" => {
            if let Some(have) = have {
                return Ok(Created { physical: have.physical.clone(), outputs: have.outputs.clone() });
            }
            let tags =
                aws.tags(r).into_iter().map(|(k, v)| aws_sdk_codedeploy::types::Tag::builder().key(k).value(v).build());
            let out = aws
                .codedeploy
                .create_application()
                .application_name(s(r, "name"))
                .compute_platform(aws_sdk_codedeploy::types::ComputePlatform::from(s(r, "compute_platform")))
                .set_tags(Some(tags.collect()))
                .send()
                .await;
            match out {
                Ok(_) => {}
                Err(e) => {
                    let e = error("codedeploy:CreateApplication", e);
                    if !e.message.contains("AlreadyExists") {
                        return Err(e);
                    }
                }
            }
            Ok(created(s(r, "name"), &[("name", s(r, "name"))]))
        }
        "aws_codedeploy_deployment_group" => deployment_group(aws, r, have).await,
        "aws_codedeploy_deployment_config" => {
            use aws_sdk_codedeploy::types as cd;
            let name = s(r, "deployment_config_name");
            let routing = r.get("traffic_routing_config").map(|t| {
                let step = |k: &str| field(t, k).map(|b| (number(b, "interval"), number(b, "percentage")));
                let mut c = cd::TrafficRoutingConfig::builder()
                    .set_type(text(t, "type").map(|x| cd::TrafficRoutingType::from(x.as_str())));
                if let Some((interval, percentage)) = step("time_based_canary") {
                    c = c.time_based_canary(
                        cd::TimeBasedCanary::builder()
                            .set_canary_interval(interval.map(|n| n as i32))
                            .set_canary_percentage(percentage.map(|n| n as i32))
                            .build(),
                    );
                }
                if let Some((interval, percentage)) = step("time_based_linear") {
                    c = c.time_based_linear(
                        cd::TimeBasedLinear::builder()
                            .set_linear_interval(interval.map(|n| n as i32))
                            .set_linear_percentage(percentage.map(|n| n as i32))
                            .build(),
                    );
                }
                c.build()
            });
            aws.codedeploy
                .create_deployment_config()
                .deployment_config_name(name)
                .compute_platform(cd::ComputePlatform::from(s(r, "compute_platform")))
                .set_traffic_routing_config(routing)
                .send()
                .await
                .map_err(|e| error("codedeploy:CreateDeploymentConfig", e))?;
            Ok(created(name, &[("deployment_config_name", name)]))
        }
        "aws_db_subnet_group" => {
            if have.is_some() {
                aws.rds
                    .modify_db_subnet_group()
                    .db_subnet_group_name(s(r, "name"))
                    .set_db_subnet_group_description(r.str("description").map(str::to_string))
                    .set_subnet_ids(Some(crate::strings(r, "subnet_ids")))
                    .send()
                    .await
                    .map_err(|e| error("rds:ModifyDBSubnetGroup", e))?;
            } else {
                let tags =
                    aws.tags(r).into_iter().map(|(k, v)| aws_sdk_rds::types::Tag::builder().key(k).value(v).build());
                aws.rds
                    .create_db_subnet_group()
                    .db_subnet_group_name(s(r, "name"))
                    .db_subnet_group_description(s(r, "description"))
                    .set_subnet_ids(Some(crate::strings(r, "subnet_ids")))
                    .set_tags(Some(tags.collect()))
                    .send()
                    .await
                    .map_err(|e| error("rds:CreateDBSubnetGroup", e))?;
            }
            Ok(created(s(r, "name"), &[("name", s(r, "name"))]))
        }
        "aws_db_instance" => db_instance(aws, r, have).await,
        other => Err(crate::unsupported(other)),
    }
}

async fn deployment_group(aws: &Aws, r: &Resolved, have: Option<&Deployed>) -> Result<Created, CloudError> {
    use aws_sdk_codedeploy::types as cd;
    let rollback = r.get("auto_rollback_configuration").map(|a| {
        cd::AutoRollbackConfiguration::builder()
            .set_enabled(field(a, "enabled").and_then(Value::as_bool))
            .set_events(
                field(a, "events")
                    .and_then(Value::as_array)
                    .map(|e| e.iter().filter_map(|x| x.as_str()).map(cd::AutoRollbackEvent::from).collect()),
            )
            .build()
    });
    let style = r.get("deployment_style").map(|d| {
        cd::DeploymentStyle::builder()
            .set_deployment_option(text(d, "deployment_option").map(|x| cd::DeploymentOption::from(x.as_str())))
            .set_deployment_type(text(d, "deployment_type").map(|x| cd::DeploymentType::from(x.as_str())))
            .build()
    });
    let blue_green = r.get("blue_green_deployment_config").map(|b| {
        cd::BlueGreenDeploymentConfiguration::builder()
            .set_deployment_ready_option(field(b, "deployment_ready_option").map(|o| {
                cd::DeploymentReadyOption::builder()
                    .set_action_on_timeout(
                        text(o, "action_on_timeout").map(|x| cd::DeploymentReadyAction::from(x.as_str())),
                    )
                    .build()
            }))
            .set_terminate_blue_instances_on_deployment_success(
                field(b, "terminate_blue_instances_on_deployment_success").map(|t| {
                    cd::BlueInstanceTerminationOption::builder()
                        .set_action(text(t, "action").map(|x| cd::InstanceAction::from(x.as_str())))
                        .set_termination_wait_time_in_minutes(
                            number(t, "termination_wait_time_in_minutes").map(|n| n as i32),
                        )
                        .build()
                }),
            )
            .build()
    });
    let ecs = r.get("ecs_service").map(|e| {
        cd::EcsService::builder()
            .set_cluster_name(text(e, "cluster_name"))
            .set_service_name(text(e, "service_name"))
            .build()
    });
    let lb = r.get("load_balancer_info").and_then(|l| field(l, "target_group_pair_info")).map(|p| {
        let groups: Vec<cd::TargetGroupInfo> = match field(p, "target_group") {
            Some(Value::Array(a)) => {
                a.iter().map(|g| cd::TargetGroupInfo::builder().set_name(text(g, "name")).build()).collect()
            }
            Some(g) => vec![cd::TargetGroupInfo::builder().set_name(text(g, "name")).build()],
            None => Vec::new(),
        };
        let route = |k: &str| {
            field(p, k).map(|t| {
                cd::TrafficRoute::builder()
                    .set_listener_arns(
                        field(t, "listener_arns")
                            .and_then(Value::as_array)
                            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()),
                    )
                    .build()
            })
        };
        cd::LoadBalancerInfo::builder()
            .target_group_pair_info_list(
                cd::TargetGroupPairInfo::builder()
                    .set_target_groups(Some(groups))
                    .set_prod_traffic_route(route("prod_traffic_route"))
                    .set_test_traffic_route(route("test_traffic_route"))
                    .build(),
            )
            .build()
    });
    let alarms =
        r.get("alarm_configuration").map(|a| {
            cd::AlarmConfiguration::builder()
                .set_enabled(field(a, "enabled").and_then(Value::as_bool))
                .set_alarms(field(a, "alarms").and_then(Value::as_array).map(|xs| {
                    xs.iter().filter_map(Value::as_str).map(|n| cd::Alarm::builder().name(n).build()).collect()
                }))
                .build()
        });
    if have.is_some() {
        aws.codedeploy
            .update_deployment_group()
            .set_alarm_configuration(alarms.clone())
            .application_name(s(r, "app_name"))
            .current_deployment_group_name(s(r, "deployment_group_name"))
            .set_deployment_config_name(r.str("deployment_config_name").map(str::to_string))
            .set_service_role_arn(r.str("service_role_arn").map(str::to_string))
            .set_auto_rollback_configuration(rollback)
            .set_deployment_style(style)
            .set_blue_green_deployment_configuration(blue_green)
            .set_ecs_services(ecs.map(|e| vec![e]))
            .set_load_balancer_info(lb)
            .send()
            .await
            .map_err(|e| error("codedeploy:UpdateDeploymentGroup", e))?;
    } else {
        aws.codedeploy
            .create_deployment_group()
            .application_name(s(r, "app_name"))
            .deployment_group_name(s(r, "deployment_group_name"))
            .set_deployment_config_name(r.str("deployment_config_name").map(str::to_string))
            .set_alarm_configuration(alarms)
            .service_role_arn(s(r, "service_role_arn"))
            .set_auto_rollback_configuration(rollback)
            .set_deployment_style(style)
            .set_blue_green_deployment_configuration(blue_green)
            .set_ecs_services(ecs.map(|e| vec![e]))
            .set_load_balancer_info(lb)
            .send()
            .await
            .map_err(|e| error("codedeploy:CreateDeploymentGroup", e))?;
    }
    let physical = format!("{}|{}", s(r, "app_name"), s(r, "deployment_group_name"));
    Ok(created(&physical, &[("app_name", s(r, "app_name")), ("deployment_group_name", s(r, "deployment_group_name"))]))
}

async fn db_instance(aws: &Aws, r: &Resolved, have: Option<&Deployed>) -> Result<Created, CloudError> {
    let i32_of = |k: &str| int(r, k).map(|n| n as i32);
    let text_of = |k: &str| r.str(k).map(str::to_string);
    let out = if have.is_some() {
        aws.rds
            .modify_db_instance()
            .db_instance_identifier(s(r, "identifier"))
            .set_db_instance_class(text_of("instance_class"))
            .set_allocated_storage(i32_of("allocated_storage"))
            .set_max_allocated_storage(i32_of("max_allocated_storage"))
            .set_multi_az(boolean(r, "multi_az"))
            .set_backup_retention_period(i32_of("backup_retention_period"))
            .set_preferred_backup_window(text_of("backup_window"))
            .set_preferred_maintenance_window(text_of("maintenance_window"))
            .set_deletion_protection(boolean(r, "deletion_protection"))
            .set_engine_version(text_of("engine_version"))
            .apply_immediately(true)
            .send()
            .await
            .map_err(|e| error("rds:ModifyDBInstance", e))?
            .db_instance
    } else {
        let tags = aws.tags(r).into_iter().map(|(k, v)| aws_sdk_rds::types::Tag::builder().key(k).value(v).build());
        aws.rds
            .create_db_instance()
            .db_instance_identifier(s(r, "identifier"))
            .engine(s(r, "engine"))
            .set_engine_version(text_of("engine_version"))
            .db_instance_class(s(r, "instance_class"))
            .set_allocated_storage(i32_of("allocated_storage"))
            .set_max_allocated_storage(i32_of("max_allocated_storage"))
            .set_storage_type(text_of("storage_type"))
            .set_storage_encrypted(boolean(r, "storage_encrypted"))
            .set_db_name(text_of("db_name"))
            .set_master_username(text_of("username"))
            .set_manage_master_user_password(boolean(r, "manage_master_user_password"))
            .set_port(i32_of("port"))
            .set_multi_az(boolean(r, "multi_az"))
            .set_db_subnet_group_name(text_of("db_subnet_group_name"))
            .set_vpc_security_group_ids(Some(crate::strings(r, "vpc_security_group_ids")))
            .set_publicly_accessible(boolean(r, "publicly_accessible"))
            .set_enable_iam_database_authentication(boolean(r, "iam_database_authentication_enabled"))
            .set_enable_cloudwatch_logs_exports(Some(crate::strings(r, "enabled_cloudwatch_logs_exports")))
            .set_backup_retention_period(i32_of("backup_retention_period"))
            .set_preferred_backup_window(text_of("backup_window"))
            .set_preferred_maintenance_window(text_of("maintenance_window"))
            .set_auto_minor_version_upgrade(boolean(r, "auto_minor_version_upgrade"))
            .set_copy_tags_to_snapshot(boolean(r, "copy_tags_to_snapshot"))
            .set_deletion_protection(boolean(r, "deletion_protection"))
            .set_monitoring_interval(i32_of("monitoring_interval"))
            .set_monitoring_role_arn(text_of("monitoring_role_arn"))
            .set_tags(Some(tags.collect()))
            .send()
            .await
            .map_err(|e| error("rds:CreateDBInstance", e))?
            .db_instance
    };
    out.as_ref().map(db_created).ok_or_else(|| CloudError::new("RDS returned no instance"))
}

pub async fn delete(aws: &Aws, have: &Deployed) -> Result<(), CloudError> {
    aws.mutate();
    let out = |k: &str| have.outputs.get(k).cloned().unwrap_or_default();
    let attr = |k: &str| {
        have.attrs
            .as_array()
            .and_then(|a| a.iter().find(|p| p.get(0).and_then(Value::as_str) == Some(k)))
            .and_then(|p| p.get(1))
            .and_then(|v| v.get("value"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let result = match have.kind.as_str() {
        "aws_appautoscaling_target" | "aws_appautoscaling_policy" | "aws_appautoscaling_scheduled_action" => {
            let id = out("resource_id");
            let ns = ServiceNamespace::Ecs;
            let dim = ScalableDimension::EcsServiceDesiredCount;
            match have.kind.as_str() {
                "aws_appautoscaling_target" => aws
                    .scaling
                    .deregister_scalable_target()
                    .service_namespace(ns)
                    .scalable_dimension(dim)
                    .resource_id(&id)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| error("application-autoscaling:DeregisterScalableTarget", e)),
                "aws_appautoscaling_policy" => {
                    let target = aws
                        .scaling
                        .describe_scaling_policies()
                        .service_namespace(ns.clone())
                        .policy_names(out("name"))
                        .send()
                        .await
                        .map_err(|e| error("application-autoscaling:DescribeScalingPolicies", e))?;
                    // Filtered here too: an emulator may ignore `PolicyNames`.
                    let name = out("name");
                    match target.scaling_policies().iter().find(|p| p.policy_name() == name) {
                        Some(p) => aws
                            .scaling
                            .delete_scaling_policy()
                            .policy_name(p.policy_name())
                            .service_namespace(ns)
                            .scalable_dimension(p.scalable_dimension().clone())
                            .resource_id(p.resource_id())
                            .send()
                            .await
                            .map(drop)
                            .map_err(|e| error("application-autoscaling:DeleteScalingPolicy", e)),
                        None => Ok(()),
                    }
                }
                _ => aws
                    .scaling
                    .delete_scheduled_action()
                    .scheduled_action_name(out("name"))
                    .service_namespace(ns)
                    .scalable_dimension(dim)
                    .resource_id(&id)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| error("application-autoscaling:DeleteScheduledAction", e)),
            }
        }
        "aws_cloudwatch_metric_alarm" => aws
            .cloudwatch
            .delete_alarms()
            .alarm_names(&have.physical)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("cloudwatch:DeleteAlarms", e)),
        "aws_codedeploy_app" => aws
            .codedeploy
            .delete_application()
            .application_name(&have.physical)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("codedeploy:DeleteApplication", e)),
        "aws_codedeploy_deployment_group" => aws
            .codedeploy
            .delete_deployment_group()
            .application_name(out("app_name"))
            .deployment_group_name(out("deployment_group_name"))
            .send()
            .await
            .map(drop)
            .map_err(|e| error("codedeploy:DeleteDeploymentGroup", e)),
        "aws_codedeploy_deployment_config" => aws
            .codedeploy
            .delete_deployment_config()
            .deployment_config_name(&have.physical)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("codedeploy:DeleteDeploymentConfig", e)),
        "aws_db_subnet_group" => aws
            .rds
            .delete_db_subnet_group()
            .db_subnet_group_name(&have.physical)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("rds:DeleteDBSubnetGroup", e)),
        "aws_db_instance" => {
            let final_snapshot = attr("final_snapshot_identifier");
            let skip = final_snapshot.is_empty();
            let _ = aws
                .rds
                .modify_db_instance()
                .db_instance_identifier(&have.physical)
                .deletion_protection(false)
                .apply_immediately(true)
                .send()
                .await;
            aws.rds
                .delete_db_instance()
                .db_instance_identifier(&have.physical)
                .skip_final_snapshot(skip)
                .set_final_db_snapshot_identifier((!skip).then_some(final_snapshot))
                .send()
                .await
                .map(drop)
                .map_err(|e| error("rds:DeleteDBInstance", e))
        }
        other => Err(crate::unsupported(other)),
    };
    crate::deleted(result, &["NotFound", "does not exist", "No scaling policy found", "No scalable target found"])
}
