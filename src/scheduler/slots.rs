//! When scheduled jobs are due: pure functions of the time, so tests can walk them across downtime
//! and daylight-saving changes. The runner keeps a marker per slot in sled; these only say whether
//! a slot's time has come and until when it may still run late.

use chrono::Datelike;
use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// The daily slot at `at` UTC, if `now` is between it and the `deadline` of the same day (a brief
/// missed while the process was down is sent late, but not after noon).
pub fn daily(now: DateTime<Utc>, at: NaiveTime, deadline: NaiveTime) -> Option<NaiveDate> {
    let t = now.time();
    (t >= at && t < deadline).then(|| now.date_naive())
}

/// The weekly slot on `day` at `at` UTC, runnable for `grace` after it.
pub fn weekly(now: DateTime<Utc>, day: Weekday, at: NaiveTime, grace: Duration) -> Option<NaiveDate> {
    let date = now.date_naive();
    if date.weekday() != day {
        return None;
    }
    let start = date.and_time(at).and_utc();
    (now >= start && now < start + grace).then_some(date)
}

/// The instant of `at` local time on `date` in `tz`. A time that happens twice (clocks going back)
/// is the first one; a time that does not exist (clocks going forward) is the first instant after
/// the gap, so the job fires exactly once either way.
pub fn local_instant(date: NaiveDate, at: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let mut local = date.and_time(at);
    for _ in 0..4 {
        match tz.from_local_datetime(&local) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => return first.with_timezone(&Utc),
            LocalResult::None => local += Duration::minutes(30),
        }
    }
    date.and_time(at).and_utc()
}

/// Day `n` of a lead's nurture sequence: `at` local time, `n` local days after `since`.
pub fn nurture_instant(since: DateTime<Utc>, n: u32, at: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let start = since.with_timezone(&tz).date_naive();
    local_instant(start + Duration::days(n.into()), at, tz)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }
    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn the_brief_window_is_seven_to_noon() {
        let (at, noon) = (hm(7, 0), hm(12, 0));
        assert_eq!(daily(t("2026-11-24T06:59:00Z"), at, noon), None);
        assert_eq!(daily(t("2026-11-24T07:01:00Z"), at, noon), Some(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()));
        assert_eq!(daily(t("2026-11-24T11:59:00Z"), at, noon), Some(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()));
        assert_eq!(daily(t("2026-11-24T12:01:00Z"), at, noon), None);
    }

    #[test]
    fn weekly_only_on_its_day_and_within_grace() {
        let monday = t("2026-11-23T08:10:00Z");
        assert!(weekly(monday, Weekday::Mon, hm(8, 0), Duration::hours(4)).is_some());
        assert!(weekly(monday, Weekday::Fri, hm(8, 0), Duration::hours(4)).is_none());
        assert!(weekly(t("2026-11-23T12:00:00Z"), Weekday::Mon, hm(8, 0), Duration::hours(4)).is_none());
    }

    #[test]
    fn nine_local_across_warsaw_dst() {
        let tz: Tz = "Europe/Warsaw".parse().unwrap();
        // Winter: 09:00 CET = 08:00 UTC; summer: 09:00 CEST = 07:00 UTC.
        assert_eq!(
            local_instant(NaiveDate::from_ymd_opt(2026, 3, 28).unwrap(), hm(9, 0), tz),
            t("2026-03-28T08:00:00Z")
        );
        assert_eq!(
            local_instant(NaiveDate::from_ymd_opt(2026, 3, 30).unwrap(), hm(9, 0), tz),
            t("2026-03-30T07:00:00Z")
        );
        // 02:30 on 2026-03-29 does not exist in Warsaw: the first instant after the gap.
        assert_eq!(
            local_instant(NaiveDate::from_ymd_opt(2026, 3, 29).unwrap(), hm(2, 30), tz),
            t("2026-03-29T01:00:00Z")
        );
        // 02:30 on 2026-10-25 happens twice: the first one.
        assert_eq!(
            local_instant(NaiveDate::from_ymd_opt(2026, 10, 25).unwrap(), hm(2, 30), tz),
            t("2026-10-25T00:30:00Z")
        );
    }

    #[test]
    fn nine_local_across_new_york_dst() {
        let tz: Tz = "America/New_York".parse().unwrap();
        assert_eq!(
            local_instant(NaiveDate::from_ymd_opt(2026, 3, 7).unwrap(), hm(9, 0), tz),
            t("2026-03-07T14:00:00Z")
        );
        assert_eq!(
            local_instant(NaiveDate::from_ymd_opt(2026, 3, 9).unwrap(), hm(9, 0), tz),
            t("2026-03-09T13:00:00Z")
        );
        assert_eq!(
            local_instant(NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(), hm(2, 30), tz),
            t("2026-03-08T07:00:00Z")
        );
        assert_eq!(
            local_instant(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), hm(1, 30), tz),
            t("2026-11-01T05:30:00Z")
        );
    }

    #[test]
    fn nurture_days_count_local_days() {
        let tz: Tz = "America/New_York".parse().unwrap();
        // Joined late on the 6th in New York (already the 7th in UTC): day 1 is the 7th, local.
        let since = t("2026-03-07T03:30:00Z");
        assert_eq!(nurture_instant(since, 1, hm(9, 0), tz), t("2026-03-07T14:00:00Z"));
        // Day 3 crosses the DST change: 09:00 EDT.
        assert_eq!(nurture_instant(since, 3, hm(9, 0), tz), t("2026-03-09T13:00:00Z"));
    }
}
