package pricing

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/config"
)

// defaultsFile is the one copy of the default PriceBook and CostPolicy: naas seeds it at start (config.Defaults)
// and Defaults reads it.
const defaultsFile = "samples/cost.yaml"

// Defaults returns the default PriceBook (OpenCost's default list prices, in USD) and CostPolicy that naas
// installs when they are missing.
func Defaults() (*naasv1alpha1.PriceBook, *naasv1alpha1.CostPolicy, error) {
	data, err := fs.ReadFile(config.Defaults, defaultsFile)
	if err != nil {
		return nil, nil, err
	}
	book, policy := &naasv1alpha1.PriceBook{}, &naasv1alpha1.CostPolicy{}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", defaultsFile, err)
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", defaultsFile, err)
		}
		var into any
		switch tm.Kind {
		case "":
			continue
		case "PriceBook":
			into = book
		case "CostPolicy":
			into = policy
		default:
			return nil, nil, fmt.Errorf("%s: unexpected kind %s", defaultsFile, tm.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, into); err != nil {
			return nil, nil, fmt.Errorf("%s: %s: %w", defaultsFile, tm.Kind, err)
		}
	}
	return book, policy, nil
}
