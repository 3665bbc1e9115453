//! Container definitions: the IR's JSON (the provider's `container_definitions`) as the
//! SDK's types.

use aws_sdk_ecs::types::{
    ContainerCondition, ContainerDefinition, ContainerDependency, HealthCheck, KeyValuePair, LogConfiguration,
    LogDriver, PortMapping, Secret, TransportProtocol,
};
use fg_deploy::CloudError;
use serde_json::Value;

use crate::values::field;

fn text(v: &Value, k: &str) -> Option<String> {
    field(v, k).and_then(Value::as_str).map(str::to_string)
}

fn num(v: &Value, k: &str) -> Option<i32> {
    field(v, k).and_then(Value::as_i64).map(|n| n as i32)
}

fn list<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    field(v, k).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

pub(crate) fn container(v: &Value) -> Result<ContainerDefinition, CloudError> {
    let pairs = |k: &str| -> Vec<KeyValuePair> {
        list(v, k)
            .iter()
            .map(|p| KeyValuePair::builder().set_name(text(p, "name")).set_value(text(p, "value")).build())
            .collect()
    };
    let secrets = list(v, "secrets")
        .iter()
        .map(|p| {
            Secret::builder()
                .name(text(p, "name").unwrap_or_default())
                .value_from(text(p, "valueFrom").unwrap_or_default())
                .build()
                .map_err(|e| CloudError::new(format!("invalid secret: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let ports = list(v, "portMappings")
        .iter()
        .map(|p| {
            PortMapping::builder()
                .set_container_port(num(p, "containerPort"))
                .set_protocol(text(p, "protocol").map(|x| TransportProtocol::from(x.as_str())))
                .build()
        })
        .collect();
    let strings = |k: &str| -> Option<Vec<String>> {
        field(v, k).and_then(Value::as_array).map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
    };
    let logs = field(v, "logConfiguration").map(|l| {
        let options = field(l, "options")
            .and_then(Value::as_object)
            .map(|o| o.iter().map(|(k, x)| (k.clone(), x.as_str().unwrap_or_default().to_string())).collect());
        LogConfiguration::builder()
            .log_driver(LogDriver::from(text(l, "logDriver").unwrap_or_default().as_str()))
            .set_options(options)
            .build()
    });
    let logs = logs.transpose().map_err(|e| CloudError::new(format!("invalid log configuration: {e}")))?;
    let health = field(v, "healthCheck").map(|h| {
        HealthCheck::builder()
            .set_command(
                field(h, "command")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()),
            )
            .set_interval(num(h, "interval"))
            .set_timeout(num(h, "timeout"))
            .set_retries(num(h, "retries"))
            .set_start_period(num(h, "startPeriod"))
            .build()
    });
    let health = health.transpose().map_err(|e| CloudError::new(format!("invalid health check: {e}")))?;
    let depends = list(v, "dependsOn")
        .iter()
        .map(|d| {
            ContainerDependency::builder()
                .container_name(text(d, "containerName").unwrap_or_default())
                .condition(ContainerCondition::from(text(d, "condition").unwrap_or_default().as_str()))
                .build()
                .map_err(|e| CloudError::new(format!("invalid container dependency: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ContainerDefinition::builder()
        .set_name(text(v, "name"))
        .set_image(text(v, "image"))
        .set_essential(field(v, "essential").and_then(Value::as_bool))
        .set_cpu(num(v, "cpu"))
        .set_memory(num(v, "memory"))
        .set_port_mappings(Some(ports))
        .set_environment(Some(pairs("environment")))
        .set_secrets(Some(secrets))
        .set_readonly_root_filesystem(field(v, "readonlyRootFilesystem").and_then(Value::as_bool))
        .set_log_configuration(logs)
        .set_health_check(health)
        .set_depends_on((!depends.is_empty()).then_some(depends))
        .set_command(strings("command"))
        .set_entry_point(strings("entryPoint"))
        .build())
}
