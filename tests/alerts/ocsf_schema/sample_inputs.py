"""Writes CloudTrail inputs on which `trailsight replay` raises every kind of OCSF record.

Usage: sample_inputs.py OUT_DIR

Writes, into OUT_DIR:
  main.jsonl      about two days of steady traffic in account 111122223333 (us-east-1),
                  then, in event-time order:
                  - an hour with no record at all (a silent source when traffic resumes);
                  - a TerminateInstances burst (a call-rate insight, Start and End);
                  - an AccessDenied storm on DescribeSnapshots (an error-rate insight);
                  - tamper calls: StopLogging by an IAM user from an address, a denied
                    DeleteTrail by an assumed role, PutBucketPolicy on the trail's bucket
                    (learned from the CreateTrail at the start) and StopLogging made by
                    CloudTrail itself (a service's name, not an address);
                  - a first AttachUserPolicy (novelty: first sensitive call) and a first
                    write in eu-west-1 (novelty: new region);
                  - CreateAccessKey for 12 users in 6 minutes, 2 a minute (novelty: many
                    targets);
                  - 1,200 calls of made-up APIs, beyond the 1,000 keys main.yaml allows
                    (the key cap).
  main.yaml       the config for main.jsonl: novelty warm after a day, max_keys 1000.
  flood.jsonl     the made-up APIs alone, and flood.yaml, which caps the interner at 1,000
                  strings (the interned-strings cap).
  expected.json   the kinds (finding_info.types, and the rule or insight state) each output
                  must hold at least once.

The records are fixed: the same files every run (no randomness but a seeded one).
"""

import datetime
import json
import pathlib
import random
import sys

ACCOUNT = "111122223333"
HOME_REGION = "us-east-1"
NEW_REGION = "eu-west-1"
TRAIL_BUCKET = "trailsight-sample-trail-logs"
START = datetime.datetime(2026, 11, 2, tzinfo=datetime.timezone.utc)  # a Monday
BACKGROUND_PER_MINUTE = 10
QUIET_FROM = datetime.timedelta(hours=47)  # no record for the hour after this
TRAFFIC_RESUMES = datetime.timedelta(hours=48)
INCIDENTS_AT = datetime.timedelta(hours=49)
TRAFFIC_ENDS = datetime.timedelta(hours=50, minutes=30)
MADE_UP_APIS = 1200

ATTACKER = f"arn:aws:iam::{ACCOUNT}:user/leaked-key"
ATTACKER_IP = "185.220.101.47"
OPERATOR = f"arn:aws:sts::{ACCOUNT}:assumed-role/Operator/ops-session"
APP_ROLE = f"arn:aws:sts::{ACCOUNT}:assumed-role/AppRole/i-0abc"
CLI_AGENT = "aws-cli/2.17.0 Python/3.11.9 Linux/6.1 exe/x86_64.amzn.2"


class Records:
    """Collects records with unique event IDs, then writes them as JSON lines in time order."""

    def __init__(self):
        self.records = []
        self.random = random.Random(14)

    def add(self, at, source, name, principal, *, region=HOME_REGION, error=None,
            read_only=None, parameters=None, source_ip=ATTACKER_IP, user_agent=CLI_AGENT):
        time = START + at
        event_id = "%08x-0000-4000-8000-%012x" % (len(self.records), self.random.getrandbits(48))
        if read_only is None:
            read_only = name.startswith(("Describe", "Get"))
        identity = {"type": "AssumedRole" if ":assumed-role/" in principal else "IAMUser",
                    "arn": principal, "accountId": ACCOUNT}
        if principal.endswith(".amazonaws.com"):
            identity = {"type": "AWSService", "invokedBy": principal}
        record = {
            "eventVersion": "1.09",
            "userIdentity": identity,
            "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": source,
            "eventName": name,
            "awsRegion": region,
            "sourceIPAddress": source_ip,
            "userAgent": user_agent,
            "requestParameters": parameters,
            "eventID": event_id,
            "readOnly": read_only,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": ACCOUNT,
            "eventCategory": "Management",
        }
        if error:
            record["errorCode"] = error
            record["errorMessage"] = "not authorized"
        self.records.append((time, record))

    def write(self, path):
        self.records.sort(key=lambda timed: timed[0])
        with open(path, "w") as out:
            for _, record in self.records:
                out.write(json.dumps(record, separators=(",", ":")) + "\n")


def background(records):
    """Steady reads, a write every five minutes and a rare denial, with the quiet hour."""
    minute = datetime.timedelta(minutes=1)
    at = datetime.timedelta(0)
    while at < TRAFFIC_ENDS:
        if not QUIET_FROM <= at < TRAFFIC_RESUMES:
            for i in range(BACKGROUND_PER_MINUTE):
                second = datetime.timedelta(seconds=6 * i + records.random.randrange(6))
                records.add(at + second, "ec2.amazonaws.com", "DescribeInstances", APP_ROLE,
                            source_ip="10.0.3.17", user_agent="Boto3/1.35.39")
            minutes = int(at / minute)
            if minutes % 5 == 0:
                records.add(at + datetime.timedelta(seconds=30), "ec2.amazonaws.com",
                            "CreateTags", APP_ROLE, source_ip="10.0.3.17")
            if minutes % 30 == 0:
                records.add(at + datetime.timedelta(seconds=40), "ec2.amazonaws.com",
                            "DescribeSnapshots", APP_ROLE, error="AccessDenied",
                            source_ip="10.0.3.17")
        at += minute


def incidents(records):
    hour = datetime.timedelta(hours=1)
    minute = datetime.timedelta(minutes=1)
    second = datetime.timedelta(seconds=1)
    records.add(hour, "cloudtrail.amazonaws.com", "CreateTrail", OPERATOR,
                parameters={"name": "org-trail", "s3BucketName": TRAIL_BUCKET})
    at = INCIDENTS_AT
    for m in range(4):  # call-rate insight
        for i in range(60):
            records.add(at + m * minute + i * second, "ec2.amazonaws.com",
                        "TerminateInstances", ATTACKER)
    at = INCIDENTS_AT + 15 * minute
    for m in range(4):  # error-rate insight
        for i in range(60):
            records.add(at + m * minute + i * second, "ec2.amazonaws.com",
                        "DescribeSnapshots", ATTACKER, error="AccessDenied")
    at = INCIDENTS_AT + 30 * minute
    records.add(at, "cloudtrail.amazonaws.com", "StopLogging", ATTACKER,
                parameters={"name": "org-trail"})
    records.add(at + minute, "cloudtrail.amazonaws.com", "DeleteTrail", OPERATOR,
                error="AccessDenied", parameters={"name": "org-trail"}, source_ip="203.0.113.9")
    records.add(at + 2 * minute, "s3.amazonaws.com", "PutBucketPolicy", ATTACKER,
                parameters={"bucketName": TRAIL_BUCKET})
    records.add(at + 3 * minute, "cloudtrail.amazonaws.com", "StopLogging",
                "cloudtrail.amazonaws.com", source_ip="cloudtrail.amazonaws.com",
                user_agent="cloudtrail.amazonaws.com")
    records.add(at + 4 * minute, "iam.amazonaws.com", "AttachUserPolicy", ATTACKER,
                parameters={"userName": "leaked-key"})
    records.add(at + 5 * minute, "ec2.amazonaws.com", "RunInstances", ATTACKER,
                region=NEW_REGION)
    for i in range(12):  # novelty: many targets, no minute busy
        records.add(at + 6 * minute + 30 * i * second, "iam.amazonaws.com", "CreateAccessKey",
                    ATTACKER, parameters={"userName": f"backdoor-{i:02d}"})


def made_up_apis(records, at):
    for i in range(MADE_UP_APIS):
        records.add(at + datetime.timedelta(milliseconds=10 * i), "ec2.amazonaws.com",
                    f"MadeUpCall{i:05d}", ATTACKER)


def main(out):
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    main_records = Records()
    background(main_records)
    incidents(main_records)
    made_up_apis(main_records, INCIDENTS_AT + datetime.timedelta(minutes=40))
    main_records.write(out / "main.jsonl")
    flood = Records()
    made_up_apis(flood, INCIDENTS_AT)
    flood.write(out / "flood.jsonl")
    (out / "main.yaml").write_text(
        "detector:\n  max_keys: 1000\nnovelty:\n  warmup_hours: 24\n")
    (out / "flood.yaml").write_text("input:\n  max_interned_strings: 1000\n")
    expected = {
        "main.ocsf.jsonl": [
            "ApiCallRateInsight Start", "ApiCallRateInsight End",
            "ApiErrorRateInsight Start", "ApiErrorRateInsight End",
            "Tamper cloudtrail.StopLogging", "Tamper cloudtrail.DeleteTrail",
            "Tamper s3.PutBucketPolicy", "SilentSource silent-source",
            "Novelty novelty.first-sensitive-call", "Novelty novelty.new-region",
            "Novelty novelty.many-targets",
            "CapReached key-cap",
        ],
        "flood.ocsf.jsonl": ["CapReached interned-strings-cap"],
    }
    (out / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUT_DIR")
    main(sys.argv[1])
