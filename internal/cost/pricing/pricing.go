// Package pricing resolves the PriceBooks into the prices of one cluster and node pool, converted into the one
// currency a report is in. It is pure: the books come in as values.
package pricing

import (
	"errors"
	"fmt"
	"sort"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cost/money"
)

// HoursPerMonth is the month storage prices are quoted for (OpenCost's and the cloud providers' 730 hours).
const HoursPerMonth = 730

// Prices are one PriceBook's prices in the report currency, as nano-units per unit and hour (storage per GiB
// and month, as quoted).
type Prices struct {
	// Book is the name of the PriceBook the prices come from.
	Book string
	// Currency is the report currency the prices are in.
	Currency string
	// Rate converted the book's currency into Currency (the identity when they are the same).
	Rate money.Rate

	CPUCoreHour      money.Amount
	MemoryGiBHour    money.Amount
	GPUHour          money.Amount
	LoadBalancerHour money.Amount
	// StorageGiBMonth is the price of storage classes not in StorageClasses.
	StorageGiBMonth money.Amount
	StorageClasses  map[string]money.Amount
}

// StorageGiBMonthOf is the price of one GiB-month of storage class class.
func (p *Prices) StorageGiBMonthOf(class string) money.Amount {
	if v, ok := p.StorageClasses[class]; ok {
		return v
	}
	return p.StorageGiBMonth
}

// Catalog is the PriceBooks of a platform, resolved into one report currency.
type Catalog struct {
	currency string
	// byScope maps a scope (cluster, pool; empty for any) to its book's prices; the default book is {"", ""}.
	byScope map[scope]*Prices
}

type scope struct{ cluster, pool string }

// NewCatalog parses books into prices in currency (the default book's currency when empty). It fails when a
// price does not parse, when two books price the same scope (two defaults, or two books for one cluster and
// pool), or when a book's currency differs from currency and it has no exchange rate into it.
func NewCatalog(books []naasv1alpha1.PriceBook, currency string) (*Catalog, error) {
	sorted := append([]naasv1alpha1.PriceBook(nil), books...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	if currency == "" {
		for _, b := range sorted {
			if b.Spec.Default {
				currency = b.Spec.Currency
			}
		}
	}
	if currency == "" {
		return nil, errors.New("no report currency: the CostPolicy names none and there is no default PriceBook")
	}
	if err := money.ValidCurrency(currency); err != nil {
		return nil, err
	}
	c := &Catalog{currency: currency, byScope: map[scope]*Prices{}}
	owner := map[scope]string{}
	var errs []error
	for _, b := range sorted {
		s := scope{b.Spec.Cluster, b.Spec.NodePool}
		if !b.Spec.Default && s == (scope{}) {
			// A book that is neither the default nor scoped prices nothing; leave it out.
			continue
		}
		if prev, dup := owner[s]; dup {
			errs = append(errs, fmt.Errorf("price books %s and %s both price %s", prev, b.Name, s))
			continue
		}
		p, err := Resolve(&b, currency)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		owner[s] = b.Name
		c.byScope[s] = p
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

func (s scope) String() string {
	switch {
	case s.cluster == "" && s.pool == "":
		return "the default"
	case s.pool == "":
		return "cluster " + s.cluster
	case s.cluster == "":
		return "node pool " + s.pool
	default:
		return "cluster " + s.cluster + " node pool " + s.pool
	}
}

// Currency is the report currency.
func (c *Catalog) Currency() string { return c.currency }

// For returns the prices of node pool pool of cluster cluster: the most specific book that applies (the one for
// both, else the pool's, else the cluster's, else the default). Storage and load balancers, which belong to no
// pool, are priced with For(cluster, "").
func (c *Catalog) For(cluster, pool string) (*Prices, error) {
	var candidates []scope
	if cluster != "" && pool != "" {
		candidates = append(candidates, scope{cluster, pool})
	}
	if pool != "" {
		candidates = append(candidates, scope{"", pool})
	}
	if cluster != "" {
		candidates = append(candidates, scope{cluster, ""})
	}
	for _, s := range append(candidates, scope{}) {
		if p, ok := c.byScope[s]; ok {
			return p, nil
		}
	}
	return nil, fmt.Errorf("no PriceBook prices cluster %q node pool %q and there is no default PriceBook", cluster, pool)
}

// Resolve parses book's prices and converts them into currency with the book's exchange rate.
func Resolve(book *naasv1alpha1.PriceBook, currency string) (*Prices, error) {
	s := book.Spec
	rate := money.Identity(currency)
	if s.Currency != currency {
		found := false
		for _, r := range s.ExchangeRates {
			if r.Currency != currency {
				continue
			}
			f, err := money.ParseFactor(r.Rate)
			if err != nil {
				return nil, fmt.Errorf("price book %s: exchange rate to %s: %w", book.Name, currency, err)
			}
			rate, found = money.Rate{From: s.Currency, To: currency, Factor: f, Date: r.Date}, true
		}
		if !found {
			return nil, fmt.Errorf("price book %s is in %s and has no exchange rate to the report currency %s", book.Name, s.Currency, currency)
		}
	}
	p := &Prices{Book: book.Name, Currency: currency, Rate: rate, StorageClasses: map[string]money.Amount{}}
	var errs []error
	parse := func(field string, m naasv1alpha1.Money, into *money.Amount) {
		if m == "" {
			return
		}
		v, err := money.ParseMoney(m)
		if err != nil {
			errs = append(errs, fmt.Errorf("price book %s: %s: %w", book.Name, field, err))
			return
		}
		*into = rate.Convert(v)
	}
	parse("cpuCoreHour", s.CPUCoreHour, &p.CPUCoreHour)
	parse("memoryGiBHour", s.MemoryGiBHour, &p.MemoryGiBHour)
	parse("gpuHour", s.GPUHour, &p.GPUHour)
	parse("loadBalancerHour", s.LoadBalancerHour, &p.LoadBalancerHour)
	parse("storageGiBMonth", s.StorageGiBMonth, &p.StorageGiBMonth)
	for _, sc := range s.StorageClasses {
		var v money.Amount
		parse("storageClasses["+sc.StorageClassName+"]", sc.GiBMonth, &v)
		p.StorageClasses[sc.StorageClassName] = v
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}
