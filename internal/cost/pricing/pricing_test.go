package pricing

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cost/money"
)

func book(name, cluster, pool, cpu string) naasv1alpha1.PriceBook {
	return naasv1alpha1.PriceBook{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: naasv1alpha1.PriceBookSpec{
		Default: cluster == "" && pool == "", Cluster: cluster, NodePool: pool, Currency: "GBP",
		CPUCoreHour: naasv1alpha1.Money(cpu), MemoryGiBHour: "0.005",
	}}
}

func TestCatalogFor_MostSpecificBookWins(t *testing.T) {
	c, err := NewCatalog([]naasv1alpha1.PriceBook{
		book("default", "", "", "0.04"),
		book("gpu-pool", "", "gpu", "0.05"),
		book("eu", "eu", "", "0.06"),
		book("eu-gpu", "eu", "gpu", "0.07"),
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ cluster, pool, want string }{
		{"eu", "gpu", "eu-gpu"},
		{"us", "gpu", "gpu-pool"},
		{"eu", "general", "eu"},
		{"eu", "", "eu"},
		{"us", "general", "default"},
		{"", "", "default"},
	} {
		p, err := c.For(tc.cluster, tc.pool)
		if err != nil || p.Book != tc.want {
			t.Errorf("For(%q, %q) = %v, %v; want %s", tc.cluster, tc.pool, p, err, tc.want)
		}
	}
	if c.Currency() != "GBP" {
		t.Errorf("Currency = %s, want the default book's GBP", c.Currency())
	}
}

func TestNewCatalog_Errors(t *testing.T) {
	usd := book("usd", "eu", "", "0.04")
	usd.Spec.Currency = "USD"
	bad := book("bad", "us", "", "0.0400001")
	for name, tc := range map[string]struct {
		books []naasv1alpha1.PriceBook
		want  string
	}{
		"two defaults":               {[]naasv1alpha1.PriceBook{book("a", "", "", "1"), book("b", "", "", "1")}, "price books a and b both price the default"},
		"no rate into the currency":  {[]naasv1alpha1.PriceBook{book("a", "", "", "1"), usd}, "price book usd is in USD and has no exchange rate to the report currency GBP"},
		"seven decimals":             {[]naasv1alpha1.PriceBook{book("a", "", "", "1"), bad}, "price book bad: cpuCoreHour"},
		"no default and no currency": {nil, "no report currency"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewCatalog(tc.books, "")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewCatalog error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	c, _ := NewCatalog([]naasv1alpha1.PriceBook{book("eu", "eu", "", "1")}, "GBP")
	if _, err := c.For("us", ""); err == nil {
		t.Error("For found prices with no book that applies")
	}
}

func TestResolve_ConvertsWithTheBooksRate(t *testing.T) {
	b := book("usd", "", "", "0.031611")
	b.Spec.Currency = "USD"
	b.Spec.StorageGiBMonth = "0.04"
	b.Spec.StorageClasses = []naasv1alpha1.StorageClassPrice{{StorageClassName: "fast", GiBMonth: "0.17"}}
	b.Spec.ExchangeRates = []naasv1alpha1.ExchangeRate{{Currency: "GBP", Rate: "0.79", Date: "2026-11-30"}}
	p, err := Resolve(&b, "GBP")
	if err != nil {
		t.Fatal(err)
	}
	// 0.031611 × 0.79 = 0.02497269; 0.005 × 0.79 = 0.00395; 0.04 × 0.79 = 0.0316; 0.17 × 0.79 = 0.1343.
	want := &Prices{
		Book: "usd", Currency: "GBP", Rate: money.Rate{From: "USD", To: "GBP", Factor: 790_000_000, Date: "2026-11-30"},
		CPUCoreHour: 24_972_690, MemoryGiBHour: 3_950_000, StorageGiBMonth: 31_600_000,
		StorageClasses: map[string]money.Amount{"fast": 134_300_000},
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("Resolve (-want +got):\n%s", diff)
	}
	if p.StorageGiBMonthOf("slow") != 31_600_000 || p.StorageGiBMonthOf("fast") != 134_300_000 {
		t.Error("StorageGiBMonthOf does not fall back to storageGiBMonth")
	}
}

// The default book carries OpenCost's default list prices (configs/default.json in github.com/opencost/opencost:
// CPU 0.031611, RAM 0.004237, GPU 0.95, storage 0.00005479452 per GiB-hour = 0.04 per GiB-month; load
// balancer 0.025, OpenCost's GCP forwarding-rule price). docs/cost.md cites them.
func TestDefaults_AreOpenCostsListPrices(t *testing.T) {
	b, policy, err := Defaults()
	if err != nil {
		t.Fatal(err)
	}
	want := naasv1alpha1.PriceBookSpec{
		Default: true, Currency: "USD", CPUCoreHour: "0.031611", MemoryGiBHour: "0.004237", GPUHour: "0.95",
		StorageGiBMonth: "0.04", LoadBalancerHour: "0.025",
	}
	if diff := cmp.Diff(want, b.Spec); diff != "" || b.Name != "default" {
		t.Errorf("default PriceBook %q (-want +got):\n%s", b.Name, diff)
	}
	p, err := Resolve(b, "USD")
	if err != nil {
		t.Fatal(err)
	}
	// OpenCost's storage price per GiB-hour, 0.00005479452, is 0.04 / 730 to its 11 decimals.
	if perHour := money.MulDiv(int64(p.StorageGiBMonth), 1, 1, HoursPerMonth); perHour != 54_795 {
		t.Errorf("storage per GiB-hour = %d nano, want 54795 (0.000054795)", perHour)
	}
	if policy.Name != naasv1alpha1.DefaultCostPolicyName || policy.Spec.Idle != naasv1alpha1.CostSplitNone ||
		policy.Spec.Shared != naasv1alpha1.CostSplitWeighted || len(policy.Spec.Rules) != 2 {
		t.Errorf("default CostPolicy = %+v", policy)
	}
}
