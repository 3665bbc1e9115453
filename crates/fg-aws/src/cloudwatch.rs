//! CloudWatch metric alarms: the alarms that drive step scaling and stop bad deployments.
//!
//! PutMetricAlarm creates an alarm and replaces the whole of an existing one, so one call
//! carries every change but the tags, which it ignores on an existing alarm: those go
//! through TagResource on the alarm's ARN. Not here: composite alarms, metric math,
//! OK and insufficient-data actions (the IR sets none).

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, MetricAlarm, Statistic, Tag};
use fg_deploy::{CloudError, Created, Deployed, Handling, KindSpec, Observed, Order, Resolved, State};
use serde_json::Value;

use crate::changes::Changes;
use crate::errors::{deleted, unsupported};
use crate::values::{Seen, created, int, s, same, strings, tag_object};
use crate::{Aws, error};

const PUT: Handling = Handling::Update("cloudwatch:PutMetricAlarm");
const TAGS: Handling = Handling::Update("cloudwatch:TagResource, cloudwatch:UntagResource");

/// What PutMetricAlarm carries.
const ALARM: &[&str] = &[
    "alarm_actions",
    "alarm_description",
    "comparison_operator",
    "dimensions",
    "evaluation_periods",
    "metric_name",
    "namespace",
    "period",
    "statistic",
    "threshold",
    "treat_missing_data",
];

pub(crate) const KINDS: &[KindSpec] = &[KindSpec {
    kind: "aws_cloudwatch_metric_alarm",
    replace: Order::DeleteFirst("an alarm's name is unique in its region"),
    attrs: &[
        ("alarm_name", Handling::Replace),
        ("alarm_actions", PUT),
        ("alarm_description", PUT),
        ("comparison_operator", PUT),
        ("dimensions", PUT),
        ("evaluation_periods", PUT),
        ("metric_name", PUT),
        ("namespace", PUT),
        ("period", PUT),
        ("statistic", PUT),
        ("threshold", PUT),
        ("treat_missing_data", PUT),
        ("tags", TAGS),
        ("tags_all", TAGS),
    ],
}];

fn alarm_created(name: &str, arn: &str) -> Created {
    created(name, &[("alarm_name", name), ("arn", arn)])
}

/// The metric alarm of exactly this name.
async fn find(aws: &Aws, name: &str) -> Result<Option<MetricAlarm>, CloudError> {
    let out = aws
        .cloudwatch
        .describe_alarms()
        .alarm_names(name)
        .send()
        .await
        .map_err(|e| error("cloudwatch:DescribeAlarms", e))?;
    Ok(out.metric_alarms().iter().find(|a| a.alarm_name() == Some(name)).cloned())
}

pub(crate) async fn adopt(aws: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    if r.kind != "aws_cloudwatch_metric_alarm" {
        return Err(unsupported(&r.kind));
    }
    let name = s(r, "alarm_name");
    Ok(find(aws, name).await?.map(|a| alarm_created(name, a.alarm_arn().unwrap_or_default())))
}

/// Creates the alarm, or replaces the configuration of the one of this name. Tags count
/// only when it is created.
async fn put(aws: &Aws, r: &Resolved, tags: Option<Vec<Tag>>) -> Result<(), CloudError> {
    let dimensions = r.get("dimensions").and_then(Value::as_object).map(|o| {
        o.iter().map(|(k, v)| Dimension::builder().name(k).value(v.as_str().unwrap_or_default()).build()).collect()
    });
    aws.cloudwatch
        .put_metric_alarm()
        .alarm_name(s(r, "alarm_name"))
        .set_alarm_description(r.str("alarm_description").map(str::to_string))
        .namespace(s(r, "namespace"))
        .metric_name(s(r, "metric_name"))
        .statistic(Statistic::from(s(r, "statistic")))
        .comparison_operator(ComparisonOperator::from(s(r, "comparison_operator")))
        .set_threshold(r.get("threshold").and_then(|v| v.as_f64().or_else(|| v.as_str()?.parse().ok())))
        .set_period(int(r, "period").map(|n| n as i32))
        .set_evaluation_periods(int(r, "evaluation_periods").map(|n| n as i32))
        .set_treat_missing_data(r.str("treat_missing_data").map(str::to_string))
        .set_dimensions(dimensions)
        .set_alarm_actions(Some(strings(r, "alarm_actions")))
        .set_tags(tags)
        .send()
        .await
        .map_err(|e| error("cloudwatch:PutMetricAlarm", e))?;
    Ok(())
}

fn tags(set: Vec<(String, String)>) -> Vec<Tag> {
    set.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

pub(crate) async fn create(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    if r.kind != "aws_cloudwatch_metric_alarm" {
        return Err(unsupported(&r.kind));
    }
    put(aws, r, Some(tags(aws.tags(r)))).await?;
    // PutMetricAlarm answers nothing: the ARN is read back.
    let name = s(r, "alarm_name");
    let alarm =
        find(aws, name).await?.ok_or_else(|| CloudError::new(format!("alarm `{name}` is gone after its creation")))?;
    Ok(alarm_created(name, alarm.alarm_arn().unwrap_or_default()))
}

pub(crate) async fn update(
    aws: &Aws,
    r: &Resolved,
    have: &Deployed,
    ch: &mut Changes<'_>,
) -> Result<Created, CloudError> {
    if r.kind != "aws_cloudwatch_metric_alarm" {
        return Err(unsupported(&r.kind));
    }
    if ch.any(ALARM) {
        put(aws, r, None).await?;
        ch.done(ALARM);
    }
    if let Some((set, removed)) = ch.tags(r) {
        // States written before the ARN was an output lack it.
        let arn = match have.outputs.get("arn").filter(|a| !a.is_empty()) {
            Some(a) => a.clone(),
            None => {
                find(aws, &have.physical).await?.and_then(|a| a.alarm_arn().map(str::to_string)).unwrap_or_default()
            }
        };
        if !removed.is_empty() {
            aws.cloudwatch
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(|e| error("cloudwatch:UntagResource", e))?;
        }
        aws.cloudwatch
            .tag_resource()
            .resource_arn(&arn)
            .set_tags(Some(tags(set)))
            .send()
            .await
            .map_err(|e| error("cloudwatch:TagResource", e))?;
        ch.done(&["tags", "tags_all"]);
    }
    Ok(same(have))
}

pub(crate) async fn delete(aws: &Aws, have: &Deployed) -> Result<(), CloudError> {
    if have.kind != "aws_cloudwatch_metric_alarm" {
        return Err(unsupported(&have.kind));
    }
    // An alarm already gone: AWS answers ResourceNotFound.
    let result = aws
        .cloudwatch
        .delete_alarms()
        .alarm_names(&have.physical)
        .send()
        .await
        .map(drop)
        .map_err(|e| error("cloudwatch:DeleteAlarms", e));
    deleted(result, &["ResourceNotFound", "does not exist"])
}

pub(crate) async fn read(
    aws: &Aws,
    have: &Deployed,
    recorded: &Resolved,
    _: &State,
) -> Result<Option<Observed>, CloudError> {
    if have.kind != "aws_cloudwatch_metric_alarm" {
        return Err(unsupported(&have.kind));
    }
    let Some(a) = find(aws, &have.physical).await? else { return Ok(None) };
    let mut seen = Seen::new();
    seen.opt("alarm_name", a.alarm_name());
    seen.or_null(recorded, "alarm_description", a.alarm_description());
    seen.opt("namespace", a.namespace());
    seen.opt("metric_name", a.metric_name());
    seen.opt("statistic", a.statistic().map(|x| x.as_str()));
    seen.opt("comparison_operator", a.comparison_operator().map(|x| x.as_str()));
    seen.opt("threshold", a.threshold());
    seen.opt("period", a.period());
    seen.opt("evaluation_periods", a.evaluation_periods());
    // CloudWatch reports `missing` when none was set.
    let treat = a.treat_missing_data().filter(|t| *t != "missing" || recorded.get("treat_missing_data").is_some());
    seen.opt("treat_missing_data", treat);
    let dims = a.dimensions().iter().filter_map(|d| Some((d.name()?, d.value()?)));
    seen.put("dimensions", tag_object(dims));
    seen.put("alarm_actions", a.alarm_actions().to_vec());
    if let Some(arn) = a.alarm_arn() {
        let out = aws
            .cloudwatch
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|e| error("cloudwatch:ListTagsForResource", e))?;
        seen.put("tags_all", tag_object(out.tags().iter().filter_map(|t| Some((t.key()?, t.value()?)))));
    }
    Ok(seen.done())
}
