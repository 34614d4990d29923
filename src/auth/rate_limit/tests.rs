use super::memory::Table;
use super::*;

fn limits(login: &str) -> RateLimitSettings {
    RateLimitSettings::only(&[(Operation::Login, login.parse().unwrap())])
}

fn ip(text: &str) -> Scope<'static> {
    Scope::Ip(text.parse().unwrap())
}

#[tokio::test]
async fn the_burst_is_the_count_and_the_next_hit_waits() {
    let limiter = RateLimiter::in_memory(limits("3/min"));
    let ip = ip("192.0.2.1");
    for _ in 0..3 {
        assert!(limiter.check(Operation::Login, &[ip]).await.is_ok());
    }
    let limited = limiter.check(Operation::Login, &[ip]).await.unwrap_err();
    assert!(
        limited.retry_after > Duration::from_secs(15)
            && limited.retry_after <= Duration::from_secs(20)
    );
    // Another IP, and an operation without a limit, are unaffected.
    let other = Scope::Ip("192.0.2.2".parse().unwrap());
    assert!(limiter.check(Operation::Login, &[other]).await.is_ok());
    assert!(limiter.check(Operation::Register, &[ip]).await.is_ok());
}

#[tokio::test]
async fn ipv6_clients_are_counted_by_their_network() {
    let limiter = RateLimiter::in_memory(limits("2/min"));
    for address in ["2001:db8:1:1::1", "2001:db8:1:1:ffff:ffff:ffff:ffff"] {
        assert!(
            limiter
                .check(Operation::Login, &[ip(address)])
                .await
                .is_ok()
        );
    }
    // A third address of the same /64 finds the allowance spent…
    let same_network = ip("2001:db8:1:1:abcd::7");
    assert!(
        limiter
            .check(Operation::Login, &[same_network])
            .await
            .is_err()
    );
    // …while the next /64 has its own.
    assert!(
        limiter
            .check(Operation::Login, &[ip("2001:db8:1:2::1")])
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn an_ipv4_mapped_address_is_the_ipv4_client() {
    let limiter = RateLimiter::in_memory(limits("1/min"));
    assert!(
        limiter
            .check(Operation::Login, &[ip("192.0.2.9")])
            .await
            .is_ok()
    );
    assert!(
        limiter
            .check(Operation::Login, &[ip("::ffff:192.0.2.9")])
            .await
            .is_err()
    );
    // Mapped addresses are not one /64 either: the neighbour is another client.
    assert!(
        limiter
            .check(Operation::Login, &[ip("::ffff:192.0.2.10")])
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_refused_ip_does_not_count_or_track_the_accounts_it_tries() {
    let limiter = RateLimiter::in_memory(limits("2/min"));
    let client = ip("198.51.100.4");
    let names: Vec<String> = (0..50).map(|n| format!("user{n}@example.dz")).collect();
    let mut refused = 0;
    for name in &names {
        let scopes = [client, Scope::Account(name)];
        refused += usize::from(limiter.check(Operation::Login, &scopes).await.is_err());
    }
    assert_eq!(refused, 48);
    // The IP and the two accounts tried while it was allowed: nothing else.
    assert_eq!(limiter.tracked(Operation::Login), 3);
    // And those 48 accounts were never counted: from another client they are fresh.
    let elsewhere = [ip("198.51.100.5"), Scope::Account(&names[49])];
    assert!(limiter.check(Operation::Login, &elsewhere).await.is_ok());
}

#[tokio::test]
async fn a_refusal_is_worth_recording_once_a_minute_per_client_and_operation() {
    let limiter = RateLimiter::in_memory(limits("1/min"));
    let client: IpAddr = "203.0.113.8".parse().unwrap();
    assert!(limiter.worth_recording(Operation::Login, Some(client)));
    for _ in 0..10 {
        assert!(!limiter.worth_recording(Operation::Login, Some(client)));
    }
    // Another address of the same IPv6 /64 is the same client; a third is not.
    let v6: IpAddr = "2001:db8::1".parse().unwrap();
    let v6_neighbour: IpAddr = "2001:db8::2".parse().unwrap();
    assert!(limiter.worth_recording(Operation::Login, Some(v6)));
    assert!(!limiter.worth_recording(Operation::Login, Some(v6_neighbour)));
    assert!(limiter.worth_recording(Operation::Register, Some(client)));
    assert!(limiter.worth_recording(Operation::Login, None));
    assert!(!limiter.worth_recording(Operation::Login, None));
}

const HOURLY: Quota = Quota {
    count: 1,
    period: Duration::from_secs(3600),
};

#[test]
fn a_full_table_keeps_every_debt_and_newcomers_share_one_allowance() {
    let table = Table::with_cap(HOURLY, 10);
    let now = Instant::now();
    for n in 0..10 {
        assert!(table.check(&format!("ip:{n}"), now).is_ok());
    }
    // A flood of new keys: one allowance between them all, and no growth.
    let let_through = (10..1000)
        .filter(|n| table.check(&format!("ip:{n}"), now).is_ok())
        .count();
    assert_eq!(let_through, 1);
    assert_eq!(table.tracked(), 10);
    // The keys already tracked kept their debt: the flood evicted none of them.
    for n in 0..10 {
        assert!(table.check(&format!("ip:{n}"), now).is_err());
    }
    // Once their allowance is whole again, they make room for newcomers.
    let later = now + Duration::from_secs(3601);
    assert!(table.check("ip:newcomer", later).is_ok());
    assert_eq!(table.tracked(), 1);
}

#[test]
fn a_flood_on_a_full_table_sweeps_at_most_once_a_second() {
    let table = Table::with_cap(HOURLY, 10);
    let now = Instant::now();
    for n in 0..10_000 {
        let _ = table.check(&format!("ip:{n}"), now);
    }
    assert_eq!(table.sweeps(), 1);
    let _ = table.check("ip:another", now + Duration::from_millis(999));
    assert_eq!(table.sweeps(), 1);
    let _ = table.check("ip:another", now + Duration::from_secs(1));
    assert_eq!(table.sweeps(), 2);
}

#[test]
fn a_sweep_drops_only_keys_whose_allowance_is_whole() {
    let table = Table::with_cap("2/min".parse().unwrap(), 100);
    let start = Instant::now();
    assert!(table.check("idle", start).is_ok());
    assert!(table.check("busy", start + Duration::from_secs(25)).is_ok());
    assert!(table.check("busy", start + Duration::from_secs(25)).is_ok());
    table.sweep(start + Duration::from_secs(31));
    assert_eq!(table.tracked(), 1);
    assert!(
        table
            .check("busy", start + Duration::from_secs(31))
            .is_err()
    );
}
