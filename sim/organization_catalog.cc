// The recurring work of an organization's accounts, by account kind
// (GeneratorOptions::organization). Unlike JobCatalog()'s jobs, most of it does not come at
// one fixed UTC minute: nightly and evening jobs start at a local time give or take a
// quarter of an hour, releases skip some days, and dev teams and CI pipelines work in
// clumps of a typical size at random times of their working day. Each is benign and
// recurring: a baseline that has seen a week of it should stay quiet.

#include "sim/catalog.h"

namespace trailsight::sim {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using enum AccountKind;

const std::vector<JobSpec>& OrganizationJobs() {
  static const std::vector<JobSpec> jobs = {
      // Nightly retention clean-up: about 30 snapshots deleted over 10 minutes, from 03:00
      // local +-20 min, in every region the account uses.
      {.actor = "backup",
       .at = hours{3},
       .jitter_minutes = 20,
       .local = true,
       .kinds = KindBit(kProduction) | KindBit(kData),
       .secondary_scale = 0.5,
       .steps = {{"ec2:DescribeSnapshots", 2, 3, 0, 30}, {"ec2:DeleteSnapshot", 26, 34, 30, 600}}},
      // Weekday deploy at 14:00 local +-10 min: about 20 functions updated and published
      // over 5 minutes.
      {.actor = "ci",
       .at = hours{14},
       .jitter_minutes = 10,
       .local = true,
       .kinds = KindBit(kProduction) | KindBit(kStaging),
       .weekdays_only = true,
       .home_region_only = true,
       .steps = {{"lambda:UpdateFunctionCode20150331v2", 18, 22, 0, 300},
                 {"lambda:PublishVersion20150331", 18, 22, 20, 300}}},
      // Evening release train at 21:00 local +-15 min on Mondays, Tuesdays and Thursdays: a
      // few hundred writes across a dozen APIs over 15 minutes.
      {.actor = "terraform",
       .at = hours{21},
       .jitter_minutes = 15,
       .local = true,
       .days_of_week = 0b0001011,
       .kinds = KindBit(kProduction),
       .weekdays_only = true,
       .home_region_only = true,
       .steps = {{"cloudformation:CreateChangeSet", 10, 14, 0, 900},
                 {"cloudformation:ExecuteChangeSet", 10, 14, 30, 870},
                 {"lambda:UpdateFunctionCode20150331v2", 25, 35, 0, 900},
                 {"lambda:UpdateFunctionConfiguration20150331v2", 20, 30, 0, 900},
                 {"lambda:PublishVersion20150331", 25, 35, 30, 870},
                 {"ssm:PutParameter", 30, 40, 0, 900},
                 {"ec2:CreateTags", 40, 60, 0, 900},
                 {"autoscaling:UpdateAutoScalingGroup", 6, 10, 0, 900},
                 {"monitoring:PutMetricAlarm", 30, 40, 0, 900},
                 {"logs:CreateLogGroup", 8, 12, 0, 900},
                 {"logs:PutRetentionPolicy", 8, 12, 0, 900},
                 {"iam:TagRole", 10, 15, 0, 900}}},
      // A dev team tears down its test instances: 6-14 within two minutes, 1-3 times a
      // weekday at any time of 09:00-18:00 local.
      {.actor = "developer",
       .at = hours{9},
       .local = true,
       .runs_min = 1,
       .runs_max = 3,
       .within = hours{9},
       .kinds = KindBit(kDev),
       .weekdays_only = true,
       .home_region_only = true,
       .steps = {{"ec2:DescribeInstances", 1, 3, 0, 10},
                 {"ec2:TerminateInstances", 6, 14, 10, 120}}},
      // CI pipelines, 8-16 a weekday at any time of 08:00-20:00 local: each builds, pushes
      // its image layers and updates and publishes a few Lambda functions.
      {.actor = "image-builder",
       .at = hours{8},
       .local = true,
       .runs_min = 8,
       .runs_max = 16,
       .within = hours{12},
       .kinds = KindBit(kCiCd),
       .weekdays_only = true,
       .home_region_only = true,
       .steps = {{"codebuild:StartBuild", 1, 2, 0, 5},
                 {"ecr:GetAuthorizationToken", 1, 1, 60, 5},
                 {"ecr:BatchCheckLayerAvailability", 4, 10, 65, 20},
                 {"ecr:InitiateLayerUpload", 4, 10, 70, 60},
                 {"ecr:CompleteLayerUpload", 4, 10, 100, 60},
                 {"ecr:PutImage", 1, 2, 165, 10},
                 {"lambda:UpdateFunctionCode20150331v2", 2, 4, 180, 30},
                 {"lambda:PublishVersion20150331", 2, 4, 215, 30}}},
      // Access keys created by hand for new services, once a weekday at office hours, in
      // every account but the dev and CI/CD ones.
      {.actor = "admin",
       .at = hours{10},
       .local = true,
       .runs_min = 1,
       .runs_max = 1,
       .within = hours{7},
       .kinds = KindBit(kManagement) | KindBit(kProduction) | KindBit(kStaging) | KindBit(kData),
       .weekdays_only = true,
       .home_region_only = true,
       .steps = {{"iam:CreateAccessKey", 1, 3, 0, 120}}},
  };
  return jobs;
}

}  // namespace

std::span<const JobSpec> OrganizationJobCatalog() { return OrganizationJobs(); }

}  // namespace trailsight::sim
