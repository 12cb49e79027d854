// The list screens' shared filter controls: a labelled select with an "any" choice, and the
// vendor select fed by one cached vendor query.
import { useQuery } from '@tanstack/react-query';
import { api, call } from '../api/client';

/** Vendors for filter choices and names (one cached query shared by every list screen). */
export function useVendorChoices() {
  return useQuery({
    queryKey: ['vendors', 'filter'],
    queryFn: () => call(api.GET('/api/v1/vendors', { params: { query: { limit: 200 } } })),
    staleTime: 5 * 60_000,
  });
}

export function SelectFilter({
  label,
  value,
  anyLabel,
  options,
  onChange,
}: {
  label: string;
  value: string;
  anyLabel: string;
  options: readonly (readonly [value: string, words: string])[];
  onChange: (value: string) => void;
}) {
  return (
    <label className="field inline">
      <span>{label}</span>
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{anyLabel}</option>
        {options.map(([v, words]) => (
          <option key={v} value={v}>
            {words}
          </option>
        ))}
      </select>
    </label>
  );
}

export function VendorFilter({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  const vendors = useVendorChoices();
  return (
    <SelectFilter
      label="Vendor"
      value={value}
      anyLabel="Any vendor"
      options={(vendors.data?.items ?? []).map((v) => [v.id, v.name] as const)}
      onChange={onChange}
    />
  );
}
