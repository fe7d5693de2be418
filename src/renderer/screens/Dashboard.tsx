// The Dashboard: where the data is (this machine, the remote's hot and cold
// tiers), what deduplication and compression save, what the remote costs
// against keeping everything hot, the sync state with "Sync now", and alerts.

import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import type { Alert, DashboardSummary, SyncStatus } from '../../shared/api';
import type { StrataError } from '../../shared/errors';
import { useApi } from '../api-context';
import { BusyButton } from '../components/BusyButton';
import { ErrorNotice } from '../components/ErrorNotice';
import { formatBytes } from '../format';
import { toStrataError, useAction } from '../use-action';
import { BarChart, type BarDatum } from './Charts';
import { OperationsProgress } from './OperationsProgress';
import { Empty, LoadError, Loading } from './ScreenStates';
import { formatMoney, formatPercent } from './screen-format';
import { When } from './When';

export function DashboardScreen() {
  const api = useApi();
  const titleId = useId();
  const [summary, setSummary] = useState<DashboardSummary>();
  const [loadError, setLoadError] = useState<StrataError>();
  // The newest sync status: from 'sync.status' events or sync.now, else the summary's.
  const [sync, setSync] = useState<SyncStatus>();
  // Only the newest request may set state (a refresh can overtake the first load).
  const request = useRef(0);

  const load = useCallback(async () => {
    const id = ++request.current;
    setLoadError(undefined);
    try {
      const next = await api.call('dashboard.summary');
      if (id !== request.current) return;
      setSummary(next);
      setSync(undefined);
    } catch (err) {
      if (id === request.current) setLoadError(toStrataError(err));
    }
  }, [api]);

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(
    () =>
      api.on('sync.status', (status) => {
        setSync(status);
        // A sync that ended changed what is where: refresh the figures.
        if (status.state !== 'syncing') void load();
      }),
    [api, load],
  );

  let body;
  if (summary) {
    body = (
      <>
        {loadError && (
          <p className="notice notice-error" role="alert">
            Could not refresh the dashboard: {loadError.message}{' '}
            <button type="button" className="link" onClick={() => void load()}>
              Try again
            </button>
          </p>
        )}
        <div className="dash-grid">
          <SyncCard
            status={sync ?? summary.sync}
            onSynced={(status) => {
              setSync(status);
              void load();
            }}
          />
          <AlertsCard alerts={summary.alerts} />
          <StorageCard summary={summary} />
          <CostCard summary={summary} />
          <SavingsCard summary={summary} />
        </div>
      </>
    );
  } else if (loadError) {
    body = <LoadError title="The dashboard could not be loaded" message={loadError.message} onRetry={() => void load()} />;
  } else {
    body = <Loading>Loading the dashboard…</Loading>;
  }

  return (
    <section className="screen dash-screen" aria-labelledby={titleId}>
      <h2 id={titleId}>Dashboard</h2>
      {body}
    </section>
  );
}

// ---- Sync ---------------------------------------------------------------------

const syncStateText: Record<SyncStatus['state'], string> = {
  off: 'Off',
  idle: 'Up to date',
  syncing: 'Syncing…',
  error: 'Sync failed',
};

function SyncCard({ status, onSynced }: { status: SyncStatus; onSynced(status: SyncStatus): void }) {
  const api = useApi();
  const action = useAction();
  const titleId = useId();
  const busy = action.pending || status.state === 'syncing';

  async function syncNow() {
    const result = await action.run(() => api.call('sync.now'));
    if (result) onSynced(result);
  }

  return (
    <section className="card dash-card dash-sync" aria-labelledby={titleId}>
      <h3 id={titleId}>Sync</h3>
      <p className={`sync-state sync-${action.pending ? 'syncing' : status.state}`} role="status">
        <span className="sync-dot" aria-hidden="true" />
        <span>{action.pending ? syncStateText.syncing : syncStateText[status.state]}</span>
      </p>
      {status.state === 'off' && <p className="hint">No remote is set up. Add one in Settings to keep a copy off this computer.</p>}
      {status.state === 'error' && status.error && <p className="field-error">{status.error}</p>}
      <dl className="kv">
        {status.remote && (
          <>
            <dt>Remote</dt>
            <dd>{status.remote}</dd>
          </>
        )}
        <dt>Last sync</dt>
        <dd>{status.lastSync ? <When time={status.lastSync} /> : 'Never'}</dd>
      </dl>
      <OperationsProgress only={['sync']} label="Sync progress" />
      <ErrorNotice error={action.error} />
      <div className="actions">
        <BusyButton type="button" busy={busy} busyLabel="Syncing…" disabled={status.state === 'off'} onClick={() => void syncNow()}>
          Sync now
        </BusyButton>
      </div>
    </section>
  );
}

// ---- Alerts -------------------------------------------------------------------

const alertTitles: Record<Alert['kind'], string> = {
  sync: 'Sync problem',
  check: 'Integrity problem',
  disk: 'Disk space',
  conflict: 'Edit conflict',
};

function AlertsCard({ alerts }: { alerts: Alert[] }) {
  const titleId = useId();
  // Errors first, then warnings; otherwise as the engine listed them.
  const sorted = useMemo(
    () => alerts.map((alert, index) => ({ alert, index })).sort((a, b) => rank(a.alert) - rank(b.alert) || a.index - b.index),
    [alerts],
  );
  return (
    <section className="card dash-card dash-alerts" aria-labelledby={titleId}>
      <h3 id={titleId}>
        Alerts {alerts.length > 0 && <span className="count-badge">{alerts.length}</span>}
      </h3>
      {sorted.length === 0 ? (
        <Empty title="No alerts">Sync, integrity checks and disk space are all fine.</Empty>
      ) : (
        <ul className="alerts" aria-labelledby={titleId}>
          {sorted.map(({ alert, index }) => (
            <li key={index} className={`alert alert-${alert.level}`}>
              <span className="alert-icon" aria-hidden="true">
                {alert.level === 'error' ? '!' : '▲'}
              </span>
              <div>
                <strong>
                  <span className="visually-hidden">{alert.level === 'error' ? 'Error: ' : 'Warning: '}</span>
                  {alertTitles[alert.kind]}
                </strong>
                <p>{alert.message}</p>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function rank(alert: Alert): number {
  return alert.level === 'error' ? 0 : 1;
}

// ---- Storage per tier ---------------------------------------------------------

interface TierRow extends BarDatum {
  objects: number;
  note: string;
}

function StorageCard({ summary }: { summary: DashboardSummary }) {
  const titleId = useId();
  const rows = useMemo<TierRow[]>(() => {
    const list: TierRow[] = [
      {
        label: 'On this computer',
        value: summary.local.bytes,
        objects: summary.local.objects,
        color: '--chart-local',
        note: 'Packs kept locally',
      },
      {
        label: 'Evicted',
        value: summary.evicted.bytes,
        objects: summary.evicted.objects,
        color: '--chart-evicted',
        note: 'Freed here, held by the remote',
      },
    ];
    if (summary.remote) {
      list.push(
        {
          label: 'Remote hot',
          value: summary.remote.hot.bytes,
          objects: summary.remote.hot.objects,
          color: '--chart-hot',
          note: 'Readable at once',
        },
        {
          label: 'Remote cold',
          value: summary.remote.cold.bytes,
          objects: summary.remote.cold.objects,
          color: '--chart-cold',
          note: summary.remote.tiered ? 'Cheap to keep, slower to read' : 'This remote has a single tier',
        },
      );
    }
    return list;
  }, [summary]);

  const alt = `Bytes per tier: ${rows.map((row) => `${row.label} ${formatBytes(row.value)}`).join(', ')}.`;

  return (
    <section className="card dash-card dash-storage" aria-labelledby={titleId}>
      <h3 id={titleId}>Storage by tier</h3>
      {summary.remote ? (
        <p className="hint">
          Remote <strong>{summary.remote.name}</strong>
          {summary.remote.tiered ? ' (hot and cold tiers)' : ' (one tier)'}
        </p>
      ) : (
        <p className="hint">No remote yet: everything is on this computer.</p>
      )}
      <BarChart data={rows} label={alt} formatValue={formatBytes} horizontal />
      <table className="figures">
        <caption className="visually-hidden">Bytes and objects per tier</caption>
        <thead>
          <tr>
            <th scope="col">Tier</th>
            <th scope="col">Size</th>
            <th scope="col">Objects</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.label}>
              <th scope="row">
                <span className="swatch" style={{ background: `var(${row.color})` }} aria-hidden="true" />
                {row.label}
                <span className="row-note">{row.note}</span>
              </th>
              <td>{formatBytes(row.value)}</td>
              <td>{row.objects.toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

// ---- Deduplication and compression ---------------------------------------------

function SavingsCard({ summary }: { summary: DashboardSummary }) {
  const titleId = useId();
  const saved = summary.logicalBytes > 0 ? (1 - summary.storedBytes / summary.logicalBytes) * 100 : undefined;
  return (
    <section className="card dash-card dash-savings" aria-labelledby={titleId}>
      <h3 id={titleId}>Space saved</h3>
      {summary.logicalBytes === 0 ? (
        <Empty title="Nothing stored yet">Add a course folder: its versions are counted here.</Empty>
      ) : (
        <>
          {saved !== undefined && (
            <p className="headline">
              {saved > 0 ? (
                <>
                  Saving <strong>{formatPercent(saved)}</strong> of space
                </>
              ) : (
                'No space saved yet'
              )}
            </p>
          )}
          <dl className="tiles">
            <div className="tile">
              <dt>Your files, all versions</dt>
              <dd>{formatBytes(summary.logicalBytes)}</dd>
            </div>
            <div className="tile">
              <dt>Stored</dt>
              <dd>{formatBytes(summary.storedBytes)}</dd>
            </div>
            <div className="tile">
              <dt>Saved by deduplication</dt>
              <dd>{formatBytes(summary.dedupSavedBytes)}</dd>
            </div>
            <div className="tile">
              <dt>Saved by compression</dt>
              <dd>{formatBytes(summary.compressionSavedBytes)}</dd>
            </div>
          </dl>
        </>
      )}
    </section>
  );
}

// ---- Monthly cost ---------------------------------------------------------------

function CostCard({ summary }: { summary: DashboardSummary }) {
  const titleId = useId();
  const cost = summary.cost;
  const rows = useMemo<BarDatum[]>(
    () =>
      cost
        ? [
            { label: 'With your tier policy', value: cost.perMonth, color: '--chart-policy' },
            { label: 'All hot', value: cost.allHot, color: '--chart-all-hot' },
          ]
        : [],
    [cost],
  );
  const money = useCallback((value: number) => formatMoney(value, cost?.currency), [cost?.currency]);

  return (
    <section className="card dash-card dash-cost" aria-labelledby={titleId}>
      <h3 id={titleId}>Monthly cost</h3>
      {!cost ? (
        <Empty title="No cost to show">
          {summary.remote ? 'The remote has not been priced yet.' : 'Cost is estimated once a remote is set up.'}
        </Empty>
      ) : (
        <>
          <p className="headline">
            {cost.savingsPercent > 0 ? (
              <>
                Saving <strong>{formatPercent(cost.savingsPercent)}</strong> against keeping everything hot
              </>
            ) : (
              'No saving against keeping everything hot yet'
            )}
          </p>
          <BarChart
            data={rows}
            label={`Monthly cost: ${money(cost.perMonth)} with your tier policy, ${money(cost.allHot)} if everything were hot.`}
            formatValue={money}
          />
          <table className="figures">
            <caption className="visually-hidden">Monthly cost</caption>
            <tbody>
              <tr>
                <th scope="row">With your tier policy</th>
                <td>{money(cost.perMonth)} per month</td>
              </tr>
              <tr>
                <th scope="row">All hot</th>
                <td>{money(cost.allHot)} per month</td>
              </tr>
            </tbody>
          </table>
          <p className="hint">Estimated per month at list prices: storage and this computer's reads.</p>
        </>
      )}
    </section>
  );
}
